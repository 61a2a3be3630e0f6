package scriptlog

import (
	"io"

	"golang.org/x/text/encoding/unicode"
	"golang.org/x/text/transform"
)

// UTF16Decoder returns a transformer from UTF-16 without a byte-order mark
// to UTF-8 (lone surrogates and an odd trailing byte become U+FFFD). Qlik
// writes script logs in UTF-16 when UserLogfileCharset asks for it, and
// Windows tools often save logs that way. It is the one UTF-16 decoder of
// licmon: the script-log reader, the service-log reader (internal/qlog,
// through NewUTF16Reader) and the line capture of internal/check use it.
func UTF16Decoder(bigEndian bool) transform.Transformer {
	e := unicode.LittleEndian
	if bigEndian {
		e = unicode.BigEndian
	}
	return unicode.UTF16(e, unicode.IgnoreBOM).NewDecoder()
}

// NewUTF16Reader returns a reader that transcodes the UTF-16 stream r
// (without its byte-order mark) to UTF-8 on the fly, in constant memory.
func NewUTF16Reader(r io.Reader, bigEndian bool) io.Reader {
	return transform.NewReader(r, UTF16Decoder(bigEndian))
}
