package textrules

import (
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"
)

// Reasons CheckName gives for a name.
const (
	onlyLetters = `name may use only letters, digits, "_", "-" and "."`
	invisible   = "name has an invisible character"
	lookAlike   = "name uses a look-alike form (fullwidth or styled letters): type it plainly"
	looseMark   = "name has a combining mark that is not on a letter"
	accent      = "name has a separate combining accent: type the accented letter itself"
)

func TestCheckName(t *testing.T) {
	tests := []struct{ name, in, want string }{
		{"ASCII", "alice", ""},
		{"capital, underscore, digit", "Alice_2", ""},
		{"dot", "bob.smith", ""},
		{"hyphen", "jean-luc", ""},
		{"precomposed accent", "José", ""},
		{"precomposed diaeresis", "Zo\u00eb", ""},
		{"combining diaeresis", "Zoe\u0308", accent},
		{"Han", "名前", ""},
		{"Hiragana with Han", "たなか太郎", ""},
		{"Katakana, Hiragana and Han", "タナカたろう太郎", ""},
		{"Hangul", "김철수", ""},
		{"Hangul with Han", "김哲洙", ""},
		{"Bopomofo with Han", "ㄅㄆ小明", ""},
		{"Greek", "Ωμέγα", ""},
		{"Arabic", "محمد", ""},
		{"Arabic with harakat", "مُحَمَّد", ""},
		{"Hebrew", "שלום", ""},
		{"Hebrew with points", "שָׁלוֹם", ""},
		{"Devanagari with signs", "हिंदी", ""},
		{"Thai with tone marks", "สมชาย", ""},
		{"modifier letter apostrophe", "Hawaiʻi", ""},
		{"digits only", "2024", ""},
		{"32 characters", strings.Repeat("é", 32), ""},
		{"Cyrillic a among Latin", "\u0430lice", "name mixes scripts (Cyrillic and Latin)"},
		{"Latin then Cyrillic", "alic\u0435", "name mixes scripts (Latin and Cyrillic)"},
		{"Greek omicron among Latin", "b\u03bfb", "name mixes scripts (Latin and Greek)"},
		{"Latin with Han", "Taro太郎", "name mixes scripts (Latin and Han)"},
		{"Japanese then Latin", "太郎たなかTaro", "name mixes scripts (Han and Latin)"},
		{"Hangul with Hiragana", "김たなか", "name mixes scripts (Hangul and Hiragana)"},
		{"Arabic-Indic digit in Latin", "alice\u0663", "name mixes scripts (Latin and Arabic)"},
		{"Arabic-Indic digits", "محمد١٢", ""},
		{"Arabic-Indic and Extended Arabic-Indic digits", "محمد١۱", "name mixes digits from different number systems"},
		{"ASCII and Arabic-Indic digits", "محمد1١", "name mixes digits from different number systems"},
		{"small capitals", "ᴀʟɪᴄᴇ", lookAlike},
		{"Hangul filler after", "alice\u3164", invisible},
		{"only Hangul fillers", "\u3164\u3164\u3164", invisible},
		{"halfwidth Hangul filler", "\uffa0", invisible},
		{"choseong filler", "\u115f\u1160", invisible},
		{"zero-width joiner", "ali\u200dce", invisible},
		{"zero-width space", "ali\u200bce", invisible},
		{"soft hyphen", "ali\u00adce", invisible},
		{"variation selector", "alice\ufe0f", invisible},
		{"right-to-left override", "\u202eecila", invisible},
		{"right-to-left isolate", "\u2067محمد\u2069", invisible},
		{"right-to-left mark", "محمد\u200f", invisible},
		{"fullwidth", "ａｌｉｃｅ", lookAlike},
		{"fullwidth digit", "alice１", lookAlike},
		{"mathematical bold", "𝐚𝐥𝐢𝐜𝐞", lookAlike},
		{"mathematical digit", "alice𝟐", lookAlike},
		{"double-struck capital", "ℍello", lookAlike},
		{"Kelvin sign", "\u212aate", lookAlike},
		{"Angstrom sign", "\u212bsa", lookAlike},
		{"circled letter", "ⓐlice", lookAlike},
		{"squared letter", "🄰lice", lookAlike},
		{"superscript", "alice²", lookAlike},
		{"superscript letter", "aliceⁿ", lookAlike},
		{"ligature", "ﬁona", lookAlike},
		{"Arabic presentation form", "\ufe8d\ufee0\ufef4", lookAlike},
		{"CJK compatibility ideograph", "\uf900", lookAlike},
		{"unified ideograph in the compatibility block", "\ufa0e", ""},
		{"conjoining jamo", "\u1100\u1161", lookAlike},
		{"Devanagari letter with nukta, precomposed", "\u0958", lookAlike},
		{"Devanagari letter with nukta, as NFC spells it", "\u0915\u093c", ""},
		{"Tibetan vowel sign with a discouraged composite", "\u0f40\u0f73", lookAlike},
		{"Tibetan vowel signs as NFC spells them", "\u0f40\u0f71\u0f72", ""},
		{"mark first", "\u0301alice", looseMark},
		{"mark after digit", "1\u20e3", looseMark},
		{"mark after dot", "a.\u0301", looseMark},
		{"too many marks", "ש\u05b8\u05c1\u05bc\u05b0\u05b1", "name has too many combining marks on one letter"},
		{"space", "al ice", onlyLetters},
		{"newline", "a\nb", onlyLetters},
		{"no-break space", "al\u00a0ice", onlyLetters},
		{"at sign", "alice@home", onlyLetters},
		{"emoji", "alice😀", onlyLetters},
		{"Roman numeral", "Ⅻ", lookAlike},
		{"other numeric", "alice\u0f33", onlyLetters},
		{"not UTF-8", "ali\xffce", onlyLetters},
		{"replacement character", "ali\ufffdce", onlyLetters},
		{"only punctuation", "_-.", "name needs at least one letter or digit"},
		{"only a dot", ".", "name needs at least one letter or digit"},
		{"empty", "", "name is required: connect to /ws/chat?name=yourname"},
		{"33 characters", strings.Repeat("a", 33), "name is too long: at most 32 characters"},
		{"33 accented characters", strings.Repeat("é", 33), "name is too long: at most 32 characters"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := CheckName("name", tt.in); got != tt.want {
				t.Errorf("CheckName(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestCheckNameSaysWhichName(t *testing.T) {
	tests := []struct{ name, in, want string }{
		{"empty room", "", "room is required: connect to /ws/chat?room=yourroom"},
		{"room too long", strings.Repeat("r", 33), "room is too long: at most 32 characters"},
		{"room mixing scripts", "l\u043ebby", "room mixes scripts (Latin and Cyrillic)"},
		{"room with filler", "lobby\u3164", "room has an invisible character"},
		{"good room", "lobby", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := CheckName("room", tt.in); got != tt.want {
				t.Errorf("CheckName(room, %q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

// Every reason must fit a close frame, whose reason is at most 123 bytes
// (RFC 6455 §5.5: a control frame payload is at most 125 bytes, two of
// them the code).
func TestCheckNameReasonsFitACloseFrame(t *testing.T) {
	for _, in := range []string{"", strings.Repeat("a", 33), "a b", "a\u200b", "ａ", "\u0301", "_", "a\u0430", "ש\u05b8\u05c1\u05bc\u05b0\u05b1"} {
		for _, what := range []string{"name", "room"} {
			if why := CheckName(what, in); len(why) > 123 || !utf8.ValidString(why) {
				t.Errorf("CheckName(%q, %q) = %q: %d bytes, more than a close frame holds", what, in, why, len(why))
			}
		}
	}
}

func TestFold(t *testing.T) {
	tests := []struct{ name, a, b string }{
		{"ASCII case", "Alice", "aLICE"},
		{"accented", "ZOË", "zoë"},
		{"Turkish dotted capital I", "İstanbul", "istanbul"},
		{"Turkish dotless i", "ıstanbul", "Istanbul"},
		{"dotted and dotless", "İi", "ıI"},
		{"sharp s", "Strauß", "STRAUSS"},
		{"capital sharp s", "STRAUẞ", "strauss"},
		{"final sigma", "ΟΔΥΣΣΕΥΣ", "οδυσσευς"},
		{"Greek symbol variants", "ϐϑϕϖϰϱϵ", "βθφπκρε"},
		{"Kelvin sign", "\u212a", "k"},
		{"Ohm sign", "\u2126", "ω"},
		{"long s", "ſ", "S"},
		{"Cyrillic", "ИВАН", "иван"},
		{"Armenian ligature", "և", "եւ"},
		{"n preceded by apostrophe", "ŉ", "ʼN"},
		{"titlecase digraph", "ǅ", "ǆ"},
		{"Cherokee", "\u13a0", "\uab70"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if Fold(tt.a) != Fold(tt.b) {
				t.Errorf("Fold(%q) = %q, Fold(%q) = %q: want the same key", tt.a, Fold(tt.a), tt.b, Fold(tt.b))
			}
		})
	}
}

// Keys may be stored (accounts), so they must not change: these are the
// keys themselves, not only which names share one.
func TestFoldKeys(t *testing.T) {
	tests := []struct{ name, in, want string }{
		{"lowercase ASCII", "alice_2", "alice_2"},
		{"capitals", "Bob.Smith", "bob.smith"},
		{"Turkish", "İSTANBUL", "istanbul"},
		{"sharp s", "Strauß", "strauss"},
		{"sigma", "ΟΔΥΣΣΕΥΣ", "οδυσσευσ"},
		{"Cyrillic", "ЁЖИК", "ёжик"},
		{"Cherokee", "\u13a0\uab70", "\uab70\uab70"},
		{"Japanese", "たなか太郎", "たなか太郎"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Fold(tt.in); got != tt.want {
				t.Errorf("Fold(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestFoldKeepsApart(t *testing.T) {
	tests := []struct{ name, a, b string }{
		{"different letters", "alice", "alica"},
		{"accent", "jose", "josé"},
		{"Latin and Cyrillic", "a", "\u0430"},
		{"Latin and Greek", "o", "ο"},
		{"hiragana and katakana", "か", "カ"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if Fold(tt.a) == Fold(tt.b) {
				t.Errorf("Fold(%q) = Fold(%q) = %q: want different keys", tt.a, tt.b, Fold(tt.a))
			}
		})
	}
}

// Fold must agree with strings.EqualFold: characters in one simple case
// folding orbit share a key, for every code point. And a key is its own
// key.
func TestFoldAgreesWithSimpleFolding(t *testing.T) {
	for r := rune(0); r <= unicode.MaxRune; r++ {
		if 0xD800 <= r && r <= 0xDFFF {
			continue
		}
		key := Fold(string(r))
		if Fold(key) != key {
			t.Errorf("Fold(Fold(%U)) = %q, Fold(%U) = %q", r, Fold(key), r, key)
		}
		for f := unicode.SimpleFold(r); f != r; f = unicode.SimpleFold(f) {
			if Fold(string(f)) != key {
				t.Errorf("%U and %U fold alike, but Fold gives %q and %q", r, f, key, Fold(string(f)))
			}
		}
	}
}

func TestFoldASCIIKeyIsTheName(t *testing.T) {
	if n := testing.AllocsPerRun(100, func() { Fold("alice_2") }); n != 0 {
		t.Errorf("Fold of a lowercase ASCII name allocates %v times, want 0", n)
	}
}
