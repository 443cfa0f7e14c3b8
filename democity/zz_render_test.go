package democity_test

import (
	"image"
	"image/color"
	"image/png"
	"os"
	"testing"

	"github.com/civicgrid/civicgrid"
	"github.com/civicgrid/civicgrid/democity"
	"github.com/paulmach/orb"
)

func TestZZRender(t *testing.T) {
	out := os.Getenv("RENDER_OUT")
	if out == "" {
		t.Skip()
	}
	c, _ := democity.Generate(democity.Options{Seed: 1})
	b := c.Areas[0].Geometry.Bound()
	const W = 1400
	m := newLocalMetres(b)
	x0, y0 := m.xy(b.Min)
	x1, y1 := m.xy(b.Max)
	s := float64(W-20) / (x1 - x0)
	H := int((y1-y0)*s) + 20
	img := image.NewRGBA(image.Rect(0, 0, W, H))
	for i := range img.Pix {
		img.Pix[i] = 255
	}
	px := func(p orb.Point) (float64, float64) {
		x, y := m.xy(p)
		return (x-x0)*s + 10, float64(H) - ((y-y0)*s + 10)
	}
	line := func(a, b orb.Point, col color.RGBA, w int) {
		ax, ay := px(a)
		bx, by := px(b)
		n := int(max(abs(bx-ax), abs(by-ay))) + 1
		for i := 0; i <= n; i++ {
			t := float64(i) / float64(n)
			x, y := int(ax+(bx-ax)*t), int(ay+(by-ay)*t)
			for dx := -w / 2; dx <= w/2; dx++ {
				for dy := -w / 2; dy <= w/2; dy++ {
					img.Set(x+dx, y+dy, col)
				}
			}
		}
	}
	styles := map[civicgrid.Level]struct {
		c color.RGBA
		w int
	}{
		civicgrid.LevelGrid:      {color.RGBA{170, 170, 170, 255}, 0},
		civicgrid.LevelCommunity: {color.RGBA{40, 140, 40, 255}, 2},
		civicgrid.LevelStreet:    {color.RGBA{220, 60, 60, 255}, 3},
		civicgrid.LevelDistrict:  {color.RGBA{30, 30, 200, 255}, 5},
	}
	for _, lv := range []civicgrid.Level{civicgrid.LevelGrid, civicgrid.LevelCommunity, civicgrid.LevelStreet, civicgrid.LevelDistrict} {
		for _, a := range c.Areas {
			if a.Level != lv {
				continue
			}
			r := a.Geometry.(orb.Polygon)[0]
			for i := 0; i+1 < len(r); i++ {
				line(r[i], r[i+1], styles[lv].c, styles[lv].w)
			}
		}
	}
	for _, a := range c.Areas {
		if a.Level == civicgrid.LevelBuilding {
			p := a.Geometry.(orb.Point)
			line(p, p, color.RGBA{0, 0, 0, 255}, 3)
		}
	}
	f, _ := os.Create(out)
	png.Encode(f, img)
	f.Close()
}

func abs(x float64) float64 {
	if x < 0 {
		return -x
	}
	return x
}
