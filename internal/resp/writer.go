package resp

import "strconv"

// AppendCommand appends a command to dst as the server expects it: an
// array of bulk strings (spec "Sending commands to a Redis server").
func AppendCommand(dst []byte, args ...string) []byte {
	dst = appendHeader(dst, '*', len(args))
	for _, a := range args {
		dst = appendHeader(dst, '$', len(a))
		dst = append(dst, a...)
		dst = append(dst, '\r', '\n')
	}
	return dst
}

// appendHeader appends a type byte, a length and CRLF.
func appendHeader(dst []byte, t byte, n int) []byte {
	dst = append(dst, t)
	dst = strconv.AppendInt(dst, int64(n), 10)
	return append(dst, '\r', '\n')
}
