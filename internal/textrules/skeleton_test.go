package textrules

import (
	"bufio"
	"os"
	"strconv"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"
)

func TestSkeletonConfusable(t *testing.T) {
	tests := []struct{ name, a, b string }{
		{"whole-script Cyrillic", "аӏісе", "alice"},
		{"UTS #39 §4.1 example", "ѕсоре", "scope"},
		{"Cyrillic capitals", "ВОВ", "BOB"},
		{"Greek capitals", "ΑΒΕ", "ABE"},
		{"Greek capitals with nu and eta", "ΝΗΑ", "NHA"},
		{"digit one for l", "paypa1", "paypal"},
		{"capital I for l", "Ilya", "llya"},
		{"rn for m", "rnary", "mary"},
		{"UTS #39 §4 single-script example", "ǉeto", "ljeto"},
		{"precomposed Cyrillic yo and Latin e with diaeresis", "ёж", "ëж"},
		{"precomposed and decomposed", "Zoë", "Zoe\u0308"},
		{"Hebrew points in either order", "ש\u05b8\u05c1", "ש\u05c1\u05b8"},
		{"Hangul syllable and compatibility jamo", "가", "ㄱㅏ"},
		{"Cyrillic palochka", "ӏ", "l"},
		{"Bengali vowel sign in one or two parts", "কো", "কে\u09be"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if Skeleton(tt.a) != Skeleton(tt.b) {
				t.Errorf("Skeleton(%q) = %q, Skeleton(%q) = %q: want the same", tt.a, Skeleton(tt.a), tt.b, Skeleton(tt.b))
			}
		})
	}
}

func TestSkeletonKeepsApart(t *testing.T) {
	tests := []struct{ name, a, b string }{
		{"different names", "alice", "alicia"},
		{"accent the table does not map", "bob", "bób"},
		{"acute accent", "jose", "josé"},
		{"case", "Alice", "alice"},
		{"i and l", "il", "ll"},
		{"hiragana and katakana", "たなか", "タナカ"},
		{"Han", "名前", "名刺"},
		{"Hangul", "김철수", "김철호"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if Skeleton(tt.a) == Skeleton(tt.b) {
				t.Errorf("Skeleton(%q) = Skeleton(%q) = %q: want different", tt.a, tt.b, Skeleton(tt.a))
			}
		})
	}
}

func TestSkeletonValues(t *testing.T) {
	tests := []struct{ name, in, want string }{
		{"ASCII the table is silent on", "alice_2", "alice_2"},
		{"digits", "b0b1", "bObl"},
		{"m", "emma", "ernrna"},
		{"Cyrillic", "аӏісе", "alice"},
		{"precomposed letter", "é", "e\u0301"},
		{"Japanese", "たなか太郎", "たなか太郎"},
		{"Han", "名前", "名前"},
		{"Arabic", "محمد", "محمد"},
		{"Devanagari", "नमस्ते", Skeleton("नमस्ते")},
		{"not UTF-8", "a\xffb", "a\ufffdb"},
		{"empty", "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Skeleton(tt.in); got != tt.want {
				t.Errorf("Skeleton(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestNameKeySame(t *testing.T) {
	tests := []struct{ name, a, b string }{
		{"case", "Alice", "aLICE"},
		{"whole-script Cyrillic", "аӏісе", "Alice"},
		{"mixed case Cyrillic", "АӏІсе", "alice"},
		{"Cyrillic capitals read as their Latin twins", "ВОВ", "bob"},
		{"Cyrillic small letters, since their capitals match", "вов", "Bob"},
		{"Greek capitals", "ΑΒΕ", "abe"},
		{"Greek capitals with nu and iota", "ΝΙΝΑ", "Nina"},
		{"Greek capital mu", "ΜΑΧ", "max"},
		{"digit one for l", "PayPa1", "paypal"},
		{"digit zero for o", "B0B", "bob"},
		{"rn for m", "rnary", "Mary"},
		{"Latin alpha", "ɑlice", "alice"},
		{"sharp s", "Straße", "STRASSE"},
		{"Turkish dotted capital I", "İstanbul", "istanbul"},
		{"Hebrew points in either order", "ש\u05b8\u05c1", "ש\u05c1\u05b8"},
		{"Bengali vowel sign in one or two parts", "কো", "কে\u09be"},
		{"Cyrillic title case", "Ваѕіӏ", "Basil"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if NameKey(tt.a) != NameKey(tt.b) {
				t.Errorf("NameKey(%q) = %q, NameKey(%q) = %q: want the same", tt.a, NameKey(tt.a), tt.b, NameKey(tt.b))
			}
		})
	}
}

func TestNameKeyKeepsApart(t *testing.T) {
	tests := []struct{ name, a, b string }{
		{"different names", "alice", "alicia"},
		{"accent the table does not map", "bob", "bób"},
		{"capital I is i once folded", "Ilya", "llya"},
		{"i and l", "bill", "blll"},
		{"Greek small nu is not v once its capital reads as N", "nina", "viva"},
		{"Latin and Cyrillic that do not look alike", "ivan", "иван"},
		{"hiragana and katakana", "たなか", "タナカ"},
		{"Han", "名前", "名刺"},
		{"Hangul", "김철수", "김철호"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if NameKey(tt.a) == NameKey(tt.b) {
				t.Errorf("NameKey(%q) = NameKey(%q) = %q: want different", tt.a, tt.b, NameKey(tt.a))
			}
		})
	}
}

// Keys may be stored (accounts), so they must not change unless the
// tables are generated anew: these are the keys themselves.
func TestNameKeyValues(t *testing.T) {
	tests := []struct{ name, in, want string }{
		{"lowercase ASCII", "alice_2", "alice_2"},
		{"capitals", "Bob.Smith", "bob.srnith"},
		{"Cyrillic", "аӏісе", "alice"},
		{"Cyrillic capitals", "ВОВ", "bob"},
		{"digits", "B0B1", "bobl"},
		{"sharp s", "Straße", "strasse"},
		{"Japanese", "たなか太郎", "たなか太郎"},
		{"accent", "Zoë", "zoe\u0308"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := NameKey(tt.in); got != tt.want {
				t.Errorf("NameKey(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

// inertMappings are the lines of confusables.txt that UTS #39 §4 never
// applies: their source is a precomposed letter, which the skeleton
// decomposes before it maps, so ö becomes o and U+0308, not ة. They stay
// apart, as canonically equivalent spellings (ö as one code point, or o
// and U+0308) must share a skeleton.
var inertMappings = map[string]bool{
	"ȧ": true, "Ȧ": true, "ǵ": true, "ņ": true, "Ő": true, "ơ": true, "Ơ": true,
	"ţ": true, "ț": true, "ṃ": true, "ö": true, "Й": true, "ѝ": true,
	"\u1f7d": true, "ῶ": true, // Greek ώ with oxia, and ῶ
	"أ": true, "ؤ": true, "ئ": true,
}

// Every mapping in Unicode's confusables.txt whose source a name can hold
// gives the source and its prototype one skeleton, but for inertMappings.
func TestSkeletonCatchesEveryListedLookAlike(t *testing.T) {
	f, err := os.Open("testdata/confusables.txt")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	checked := 0
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line, _, _ := strings.Cut(sc.Text(), "#")
		fields := strings.Split(line, ";")
		if len(fields) != 3 {
			continue
		}
		src, proto := parseCodePoints(t, fields[0]), parseCodePoints(t, fields[1])
		if CheckName("name", src) != "" {
			continue
		}
		checked++
		switch same := Skeleton(src) == Skeleton(proto); {
		case !same && !inertMappings[src]:
			t.Errorf("%q (%U) has the prototype %q, but Skeleton gives %q and %q", src, []rune(src), proto, Skeleton(src), Skeleton(proto))
		case same && inertMappings[src]:
			t.Errorf("%q (%U) and its prototype %q now share a skeleton: drop it from inertMappings", src, []rune(src), proto)
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	if checked < 1000 {
		t.Errorf("checked %d mappings, want the thousands whose source is a letter or digit", checked)
	}
}

func parseCodePoints(t *testing.T, s string) string {
	var b strings.Builder
	for _, h := range strings.Fields(s) {
		cp, err := strconv.ParseUint(h, 16, 32)
		if err != nil {
			t.Fatalf("confusables.txt: %v", err)
		}
		b.WriteRune(rune(cp))
	}
	return b.String()
}

// For every code point: the skeleton and the key are idempotent, valid
// UTF-8, and the key is the same for all cases of a letter.
func TestSkeletonAndNameKeyForEveryCodePoint(t *testing.T) {
	for r := rune(0); r <= unicode.MaxRune; r++ {
		if 0xD800 <= r && r <= 0xDFFF {
			continue
		}
		s := string(r)
		sk, key := Skeleton(s), NameKey(s)
		if Skeleton(sk) != sk || !utf8.ValidString(sk) {
			t.Errorf("Skeleton(%U) = %q, and Skeleton of that is %q", r, sk, Skeleton(sk))
		}
		if NameKey(key) != key || !utf8.ValidString(key) {
			t.Errorf("NameKey(%U) = %q, and NameKey of that is %q", r, key, NameKey(key))
		}
		for f := unicode.SimpleFold(r); f != r; f = unicode.SimpleFold(f) {
			if NameKey(string(f)) != key {
				t.Errorf("%U and %U fold alike, but NameKey gives %q and %q", r, f, key, NameKey(string(f)))
			}
		}
	}
}

func TestNameKeyOfASCIINameDoesNotAllocate(t *testing.T) {
	if n := testing.AllocsPerRun(100, func() { NameKey("alice_2") }); n != 0 {
		t.Errorf("NameKey of a lowercase ASCII name allocates %v times, want 0", n)
	}
}

func TestLookAlikeReason(t *testing.T) {
	long := strings.Repeat("𐐀", MaxNameLength) // Deseret, 4 bytes each
	tests := []struct{ name, what, in, taken, whose, want string }{
		{"other script", "name", "аӏісе", "alice", "who is online",
			`name "аӏісе" (Cyrillic) looks like "alice" (Latin), who is online: choose another`},
		{"same script", "name", "paypa1", "PayPal", "which is registered",
			`name "paypa1" looks like "PayPal", which is registered: choose another`},
		{"room, nothing said of the other", "room", "1obby", "lobby", "",
			`room "1obby" looks like "lobby": choose another`},
		{"long name left out", "name", long, "alice", "who is online",
			`name looks like "alice" (Latin), who is online: choose another`},
		{"both too long", "name", long, long, "who is online",
			`name looks like a name in use: choose another`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := LookAlikeReason(tt.what, tt.in, tt.taken, tt.whose)
			if got != tt.want {
				t.Errorf("LookAlikeReason(%q, %q, %q, %q) = %q, want %q", tt.what, tt.in, tt.taken, tt.whose, got, tt.want)
			}
			if len(got) > maxReason {
				t.Errorf("LookAlikeReason gives %d bytes, more than a close frame holds", len(got))
			}
		})
	}
}

// The tables decompose as package unicode's version of Unicode does, the
// one CheckName judges letters by: a Go release with a newer one needs
// them generated anew.
func TestTablesFollowPackageUnicode(t *testing.T) {
	if tablesUnicodeVersion != unicode.Version {
		t.Errorf("the tables follow Unicode %s, package unicode is at %s: run go generate with UnicodeData.txt of %s", tablesUnicodeVersion, unicode.Version, unicode.Version)
	}
}
