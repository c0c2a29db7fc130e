package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strconv"

	"wschat/internal/auth"
	"wschat/internal/textrules"
)

// The administrators' API: GET /api/admin/audit and /api/admin/reports
// answer the newest moderation actions and reports, newest first, at
// most ?limit= of them (default and most adminPage), to a token whose
// subject is one of -admins or has the admin claim. Refusals answer
// {"error": words, "code": code}.

// adminPage is the most entries one request answers.
const adminPage = 1000

// checkAdmins checks -admins: it needs accounts or tokens, and names.
func checkAdmins(cfg Config) error {
	if len(cfg.Admins) == 0 {
		return nil
	}
	if !cfg.Accounts && cfg.JWTKey == "" {
		return errors.New("-admins needs accounts or tokens (-accounts or -jwt-key): administrators are accounts")
	}
	for _, name := range cfg.Admins {
		if why := textrules.CheckName("name", name); why != "" {
			return fmt.Errorf("-admins: %s", why)
		}
	}
	return nil
}

// admin checks that r comes with an administrator's token, and answers
// the refusal when it does not.
func (s *Server) admin(w http.ResponseWriter, r *http.Request) bool {
	c, err := s.auth.Identify(r)
	switch {
	case errors.Is(err, auth.ErrExpired):
		auth.Error(w, http.StatusUnauthorized, "token-expired", err.Error())
	case err != nil:
		auth.Error(w, http.StatusUnauthorized, "auth-required", err.Error())
	case !c.Admin && !slices.ContainsFunc(s.cfg.Admins, func(a string) bool { return textrules.Fold(a) == textrules.Fold(c.Subject) }):
		auth.Error(w, http.StatusForbidden, "not-admin", c.Subject+" is not an administrator of this chat")
	default:
		return true
	}
	return false
}

// adminLimit reads ?limit=.
func adminLimit(w http.ResponseWriter, r *http.Request) (int, bool) {
	q := r.URL.Query().Get("limit")
	if q == "" {
		return adminPage, true
	}
	n, err := strconv.Atoi(q)
	if err != nil || n < 1 || n > adminPage {
		auth.Error(w, http.StatusBadRequest, "bad-request", fmt.Sprintf("limit must be a number from 1 to %d", adminPage))
		return 0, false
	}
	return n, true
}

// handleAudit answers GET /api/admin/audit: {"entries": [...]}.
func (s *Server) handleAudit(w http.ResponseWriter, r *http.Request) {
	n, ok := adminLimit(w, r)
	if !ok || !s.admin(w, r) {
		return
	}
	entries, err := s.moderation.AuditLog(r.Context(), n)
	answerAdmin(w, "entries", entries, err)
}

// handleReports answers GET /api/admin/reports: {"reports": [...]}.
func (s *Server) handleReports(w http.ResponseWriter, r *http.Request) {
	n, ok := adminLimit(w, r)
	if !ok || !s.admin(w, r) {
		return
	}
	reports, err := s.moderation.Reports(r.Context(), n)
	answerAdmin(w, "reports", reports, err)
}

// answerAdmin writes {field: list}, or the engine's failure.
func answerAdmin[T any](w http.ResponseWriter, field string, list []T, err error) {
	if err != nil {
		auth.Error(w, http.StatusServiceUnavailable, "unavailable", "the chat cannot read its records right now: try again shortly")
		return
	}
	if list == nil {
		list = []T{}
	}
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(map[string][]T{field: list})
}
