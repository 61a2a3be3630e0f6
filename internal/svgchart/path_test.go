package svgchart

import (
	"math"
	"math/rand/v2"
	"strconv"
	"testing"
	"unicode"

	"github.com/licmon/licmon/internal/numtext"
)

// TestPathHasNoDrift replays relative path data and checks that every vertex lands on its
// rounded absolute position, however long the path.
func TestPathHasNoDrift(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	var p path
	want := [][2]float64{}
	x, y := 0.0, 100.0
	for i := range 5000 {
		x += r.Float64() * 0.7
		y += r.NormFloat64() * 3
		if i == 0 {
			p.move(x, y)
		} else {
			p.line(x, y)
		}
		want = append(want, [2]float64{numtext.Round1(x), numtext.Round1(y)})
	}
	// Parse: a command letter followed by numbers.
	var got [][2]float64
	cx, cy := 0.0, 0.0
	d := string(p.d)
	for i := 0; i < len(d); {
		cmd := d[i]
		i++
		var nums []float64
		for len(nums) < 2 && i < len(d) && !unicode.IsLetter(rune(d[i])) {
			if d[i] == ' ' {
				i++
				continue
			}
			j := i + 1
			for j < len(d) && (d[j] == '.' || d[j] >= '0' && d[j] <= '9') {
				j++
			}
			v, err := strconv.ParseFloat(d[i:j], 64)
			if err != nil {
				t.Fatalf("bad number %q: %v", d[i:j], err)
			}
			nums = append(nums, v)
			i = j
		}
		switch cmd {
		case 'M':
			cx, cy = nums[0], nums[1]
		case 'l':
			cx, cy = cx+nums[0], cy+nums[1]
		case 'h':
			cx += nums[0]
		case 'v':
			cy += nums[0]
		default:
			t.Fatalf("unexpected command %q", cmd)
		}
		got = append(got, [2]float64{cx, cy})
	}
	// Zero-length steps are skipped, so compare distinct consecutive vertices.
	k := 0
	for i, w := range want {
		if i > 0 && w == want[i-1] {
			continue
		}
		if k >= len(got) || math.Abs(got[k][0]-w[0]) > 1e-6 || math.Abs(got[k][1]-w[1]) > 1e-6 {
			t.Fatalf("vertex %d: got %v, want %v", i, got[min(k, len(got)-1)], w)
		}
		k++
	}
}
