package scriptlog

import (
	"io"
	"unicode/utf16"
	"unicode/utf8"
)

// utf16Reader transcodes a UTF-16 stream to UTF-8 on the fly, keeping only a
// small buffer: Qlik can write script logs in UTF-16 when UserLogfileCharset
// asks for it, and Windows tools often save logs that way.
type utf16Reader struct {
	src     io.Reader
	bigEnd  bool
	in      []byte
	inLen   int
	out     []byte
	outPos  int
	pending rune // high surrogate waiting for its low half, or -1
	err     error
}

func newUTF16Reader(src io.Reader, bigEndian bool) *utf16Reader {
	return &utf16Reader{src: src, bigEnd: bigEndian, in: make([]byte, 32<<10), pending: -1}
}

func (u *utf16Reader) Read(p []byte) (int, error) {
	for u.outPos >= len(u.out) {
		if u.err != nil {
			if u.inLen > 0 || u.pending >= 0 { // odd trailing byte or lone surrogate
				u.inLen, u.pending = 0, -1
				u.out, u.outPos = utf8.AppendRune(u.out[:0], utf8.RuneError), 0
				break
			}
			return 0, u.err
		}
		n, err := u.src.Read(u.in[u.inLen:])
		u.inLen += n
		u.err = err
		u.decode()
	}
	n := copy(p, u.out[u.outPos:])
	u.outPos += n
	return n, nil
}

func (u *utf16Reader) decode() {
	u.out, u.outPos = u.out[:0], 0
	i := 0
	for ; i+1 < u.inLen; i += 2 {
		var c rune
		if u.bigEnd {
			c = rune(u.in[i])<<8 | rune(u.in[i+1])
		} else {
			c = rune(u.in[i+1])<<8 | rune(u.in[i])
		}
		if u.pending >= 0 {
			hi := u.pending
			u.pending = -1
			if utf16.IsSurrogate(c) && c >= 0xDC00 {
				u.out = utf8.AppendRune(u.out, utf16.DecodeRune(hi, c))
				continue
			}
			u.out = utf8.AppendRune(u.out, utf8.RuneError)
		}
		switch {
		case c >= 0xD800 && c < 0xDC00:
			u.pending = c
		case c >= 0xDC00 && c < 0xE000:
			u.out = utf8.AppendRune(u.out, utf8.RuneError)
		case c < utf8.RuneSelf:
			u.out = append(u.out, byte(c))
		default:
			u.out = utf8.AppendRune(u.out, c)
		}
	}
	u.inLen = copy(u.in, u.in[i:u.inLen])
}

// NewUTF16Reader returns a reader that transcodes the UTF-16 stream r
// (without its byte-order mark) to UTF-8 on the fly. The service-log reader
// (internal/qlog) uses it too, so there is one transcoder.
func NewUTF16Reader(r io.Reader, bigEndian bool) io.Reader { return newUTF16Reader(r, bigEndian) }
