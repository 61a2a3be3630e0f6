package svgchart

import (
	"github.com/licmon/licmon/internal/numtext"
)

// path builds compact SVG path data: an absolute move, then relative lines ("l", "h", "v")
// between coordinates rounded to one decimal. Relative steps between neighbouring days are short,
// which roughly halves the size of long series in an emailed report. Deltas are taken between
// already-rounded positions, so rounding errors do not accumulate along the path.
type path struct {
	d    []byte
	x, y float64 // current point, rounded
}

func (p *path) move(x, y float64) {
	p.x, p.y = numtext.Round1(x), numtext.Round1(y)
	p.d = append(p.d, 'M')
	p.d = appendCoord(p.d, p.x)
	p.d = p.sep(p.y)
	p.d = appendCoord(p.d, p.y)
}

func (p *path) line(x, y float64) {
	rx, ry := numtext.Round1(x), numtext.Round1(y)
	dx, dy := numtext.Round1(rx-p.x), numtext.Round1(ry-p.y)
	p.x, p.y = rx, ry
	switch {
	case dx == 0 && dy == 0:
		return
	case dy == 0:
		p.d = append(p.d, 'h')
		p.d = appendCoord(p.d, dx)
	case dx == 0:
		p.d = append(p.d, 'v')
		p.d = appendCoord(p.d, dy)
	default:
		p.d = append(p.d, 'l')
		p.d = appendCoord(p.d, dx)
		p.d = p.sep(dy)
		p.d = appendCoord(p.d, dy)
	}
}

func (p *path) close() { p.d = append(p.d, 'Z') }

// sep appends the separator needed before v: none when its minus sign already separates.
func (p *path) sep(v float64) []byte {
	if v < 0 {
		return p.d
	}
	return append(p.d, ' ')
}
