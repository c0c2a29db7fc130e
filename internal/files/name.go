package files

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// Bounds of a display name.
const (
	maxName = 128 // bytes of UTF-8
	maxExt  = 16  // bytes of an extension kept when a name is shortened
)

// CleanName turns the name an uploader gave a file into a display name
// safe to show in a room and to offer as a download name:
//   - only the last element of a path is kept, with / or \ as separator;
//   - invalid UTF-8 and everything not graphic is dropped: control and
//     format characters, among them the bidirectional overrides and
//     isolates (U+202A–U+202E, U+2066–U+2069) that can make "exe.png" of
//     "gnp.exe", line and paragraph separators, private-use and
//     unassigned code points;
//   - each run of spaces of any kind becomes one space, and the
//     characters Windows refuses in file names, < > : " | ? *, become _;
//   - leading and trailing spaces and dots are trimmed (no hidden files,
//     no "." or "..");
//   - a name over 128 bytes is shortened, keeping its extension;
//   - what is left empty becomes "file".
//
// CleanName(CleanName(s)) == CleanName(s).
func CleanName(name string) string {
	name = name[strings.LastIndexAny(name, `/\`)+1:]
	var b strings.Builder
	space := false
	for _, r := range name {
		switch {
		case r == utf8.RuneError || !unicode.IsGraphic(r):
			continue
		case unicode.IsSpace(r):
			if space {
				continue
			}
			r = ' '
		case strings.ContainsRune(`<>:"|?*`, r):
			r = '_'
		}
		space = r == ' '
		b.WriteRune(r)
	}
	name = strings.Trim(b.String(), " .")
	if len(name) > maxName {
		name = shorten(name)
	}
	if name == "" {
		return "file"
	}
	return name
}

// shorten cuts a long name to maxName bytes at a rune boundary, keeping
// an extension of up to maxExt bytes. name starts with neither a space
// nor a dot, so something is left before the extension.
func shorten(name string) string {
	ext := ""
	if i := strings.LastIndexByte(name, '.'); i > 0 && len(name)-i <= maxExt {
		name, ext = name[:i], name[i:]
	}
	n := maxName - len(ext)
	for n > 0 && !utf8.RuneStart(name[n]) {
		n--
	}
	return strings.TrimRight(name[:n], " .") + ext
}

// disposition is a Content-Disposition value (RFC 6266 §4.1) of type
// kind ("inline" or "attachment") for a file named name: an ASCII
// filename for old clients and the exact name as filename* in the
// encoding of RFC 8187 §3.2 (which RFC 5987 was).
func disposition(kind, name string) string {
	var b strings.Builder
	b.WriteString(kind)
	b.WriteString(`; filename="`)
	for _, r := range name {
		if r < 0x20 || r >= 0x7f || r == '"' || r == '\\' {
			r = '_'
		}
		b.WriteRune(r)
	}
	b.WriteString(`"; filename*=UTF-8''`)
	const hex = "0123456789ABCDEF"
	for i := 0; i < len(name); i++ {
		c := name[i]
		if attrChar(c) {
			b.WriteByte(c)
			continue
		}
		b.WriteByte('%')
		b.WriteByte(hex[c>>4])
		b.WriteByte(hex[c&15])
	}
	return b.String()
}

// attrChar reports whether c may appear unencoded in an RFC 8187 value
// (attr-char, §3.2.1).
func attrChar(c byte) bool {
	switch {
	case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
		return true
	}
	return strings.IndexByte("!#$&+-.^_`|~", c) >= 0
}
