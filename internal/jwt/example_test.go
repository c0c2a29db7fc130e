package jwt_test

import (
	"errors"
	"fmt"
	"time"

	"wschat/internal/jwt"
)

func ExampleVerifier_Verify() {
	// The key decides the algorithm. ParseKey reads a key file: a PEM public
	// key gives RS256, ES256 or EdDSA; anything else is an HS256 secret of
	// at least 32 bytes, like this one.
	key, err := jwt.ParseKey([]byte("an example secret, 32 bytes long\n"))
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("algorithm:", key.Algorithm())

	// A fixed clock keeps the example's output stable; servers leave Now nil.
	now := time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC)
	v := &jwt.Verifier{Key: key, Audience: "chat", Now: func() time.Time { return now }}

	token, err := jwt.Sign(key, jwt.Claims{
		Subject:  "alice",
		Audience: []string{"chat"},
		Expires:  now.Add(time.Hour),
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	claims, err := v.Verify(token)
	fmt.Println("subject:", claims.Subject, "error:", err)

	// Errors say why without repeating the token, and match with errors.Is.
	old, _ := jwt.Sign(key, jwt.Claims{Subject: "alice", Audience: []string{"chat"}, Expires: now.Add(-time.Hour)})
	_, err = v.Verify(old)
	fmt.Println(err, errors.Is(err, jwt.ErrExpired))

	_, err = v.Verify(token[:len(token)-2] + "AA")
	fmt.Println(err)

	// A token must name the key's algorithm: "none" never passes.
	_, err = v.Verify("eyJhbGciOiJub25lIn0.eyJzdWIiOiJhZG1pbiJ9.")
	fmt.Println(err)
	// Output:
	// algorithm: HS256
	// subject: alice error: <nil>
	// token expired true
	// token signature is invalid
	// token algorithm is not accepted: unsecured tokens (alg none) are refused
}
