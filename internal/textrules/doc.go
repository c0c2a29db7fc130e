// Package textrules decides which names may be used and how chat text is
// cleaned before anyone sees it. Both rules exist to stop spoofing: a
// person reading the chat must be able to tell two participants apart, and
// must be able to trust that what follows a name on a line was written by
// that participant.
//
// # Names
//
// CheckName accepts a name (or room name) of 1 to 32 characters (code
// points) made of letters, decimal digits (category Nd) and "_", "-" and
// ".", with at least one letter or digit. On top of that it refuses what
// lets one name pass for another:
//
//   - Default-ignorable code points (Unicode's Default_Ignorable_Code_Point,
//     built from the standard library's tables as DerivedCoreProperties.txt
//     defines it): zero-width spaces and joiners, bidirectional controls,
//     variation selectors, and the Hangul fillers U+115F, U+1160, U+3164
//     and U+FFA0, which are letters that show nothing. "alice" plus a
//     filler looks like "alice".
//   - Letters from more than one script, so Cyrillic "а" cannot stand in
//     for Latin "a". Common and Inherited characters (ASCII digits,
//     combining marks shared by scripts) are neutral. The mixes a language
//     needs are allowed: Han with Hiragana and Katakana (Japanese), Han with
//     Hangul (Korean), Han with Bopomofo (Chinese). Latin mixed with any of
//     these is refused, stricter than the "Highly Restrictive" level of
//     Unicode Technical Standard #39 §5.2. Digits count: Arabic-Indic digits
//     in a Latin name are a second script.
//   - Digits from more than one decimal system (UTS #39 §5.3), as ASCII 1
//     beside Arabic-Indic ١, or Arabic-Indic ١ beside Persian ۱, which look
//     the same.
//   - Compatibility and duplicate forms. The standard library has no NFKC
//     normalization, so instead of folding these forms the blocks where
//     their compatibility decompositions live are refused: Halfwidth and
//     Fullwidth Forms, Mathematical Alphanumeric Symbols, Letterlike
//     Symbols (ℌ ℍ ℕ, the Kelvin sign K, the Ångström sign Å), Number Forms
//     (Roman numerals), Enclosed Alphanumerics and their supplement,
//     Superscripts and Subscripts, the superscript modifier letters and
//     Latin-1's ª ² ³ µ ¹ º, the compatibility letters Ĳ ĳ Ŀ ŀ ŉ ſ and the
//     digraphs Ǆ to ǌ and Ǳ to ǳ, the Greek symbol letters (ϐ ϑ ϕ ϖ ϰ ϱ ϲ
//     ϴ ϵ Ϲ), Alphabetic Presentation Forms (ﬁ and the Hebrew presentation
//     forms), Arabic Presentation Forms A and B, and CJK Compatibility
//     Ideographs (canonical duplicates of unified ideographs). Refused as
//     well: small capital letters (ᴀ ʟ ɪ ᴄ ᴇ, styled Latin that no
//     orthography writes), conjoining Hangul jamo (a sequence of them shows
//     as the precomposed syllable), and the script-specific composition
//     exclusions of CompositionExclusions.txt, such as क़ U+0958, which NFC
//     spells as क U+0915 plus nukta U+093C.
//   - Combining marks that are not on a letter, more than four on one
//     letter, or any on a Latin, Greek or Cyrillic letter. Without NFC,
//     "é" as one code point and "e" plus U+0301 are two different names
//     that look the same; keyboards for these scripts type the precomposed
//     letter, so the decomposed spelling is refused and the reason says to
//     type the letter itself. Scripts that are written with marks
//     (Devanagari, Arabic, Hebrew, Thai, ...) keep them.
//
// CheckName judges one name; whether two names can be told apart depends
// on both. NameKey gives the key under which names are unique: names with
// one key are one name to a reader, whatever their case. It is built on
// Skeleton, the skeleton of UTS #39 §4, from Unicode's confusables.txt
// (generated into confusables_table.go by internal/gen), so a name written
// wholly in another script that looks like a Latin one shares its key
// (Cyrillic "аӏісе" and "alice", Greek "ΑΒΕ" and "abe"), and so do
// look-alikes within one script ("paypa1" and "PayPal", "rn" and "m",
// Latin ɑ and a), the same combining marks in another order, and Indic
// vowels typed in one or two parts (Bengali ো as one code point or as ে
// plus া). LookAlikeReason words the reason when a name is refused for
// looking like one in use. Fold gives the key of names that differ only
// in case.
//
// What the rules do not catch: look-alikes confusables.txt does not list,
// and those lost by folding case first ("Ilya" and "llya": capital I looks
// like l, but folds to i; see NameKey).
//
// # Messages
//
// CleanMessage makes a message safe to show on one line after its sender's
// name. Anything that breaks or reorders the line (control characters,
// line and paragraph separators, bidirectional controls) becomes white
// space; runs of white space become one space, so padding cannot push text
// onto a line of its own on a terminal that wraps; invisible characters are
// dropped, except the two that emoji need; combining marks are capped per
// character, so a letter cannot carry a tower of marks over its neighbours'
// lines. A message that shows nothing cleans to "".
package textrules
