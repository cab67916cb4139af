package ui

import (
	"strings"
	"testing"

	"github.com/stagescope/stagescope/analyze/dockerfile"
	"github.com/stagescope/stagescope/analyze/leftovers"
)

// TestBaseBoundary draws the base image's boundary in the Layers pane and
// its split in the image summary, and the Dockerfile line in Details.
func TestBaseBoundary(t *testing.T) {
	a := fixture(t)
	f, err := dockerfile.Parse("Dockerfile", []byte("FROM localhost/gcc:12\nCOPY . /app\nRUN rm -rf /var/cache/apt /app/.env \\\n && echo ID=debian12 > /etc/os-release\n"))
	if err != nil {
		t.Fatal(err)
	}
	a.Image.Config.History[2].CreatedBy = "/bin/sh -c #(nop) COPY dir:ab in /app "
	a.Place = leftovers.Locate(a.Image, leftovers.PlaceOptions{Dockerfile: f})
	if a.Place.Base == nil || a.Place.Base.Layers != 2 {
		t.Fatalf("base %+v, notes %q: want 2 layers", a.Place.Base, a.Place.Notes)
	}
	th := newTheme(false)
	thp := &th
	p := newLayersPane(thp)
	p.setImage(a)
	got := screenText(t, p, 60, 7)
	rows := strings.Split(got, "\n")
	if h := rows[1]; !strings.Contains(h, "Rem  Line  Command") {
		t.Errorf("header %q, want a Line column before Command", h)
	}
	for i, want := range []string{"  0│", "  1┘", "  2 ", "  3 "} {
		if row := rows[2+i]; !strings.Contains(row, want) {
			t.Errorf("layer %d row %q, want the marker %q", i, row, want)
		}
	}
	for i, want := range []string{"  base  ADD ", "  base  apt-get", "  2     COPY", "  3-4   rm -rf"} {
		if row := rows[2+i]; !strings.Contains(row, want) {
			t.Errorf("layer %d row %q, want its Dockerfile line %q", i, row, want)
		}
	}
	p.selectRow(3)
	var details []string
	for _, l := range p.describe() {
		details = append(details, l.label+l.text)
	}
	all := strings.Join(details, "\n")
	for _, want := range []string{"Origin   yours (above the base image) · base found by dockerfile", "Dockerfile:3-4 (stage 0) RUN rm -rf"} {
		if !strings.Contains(all, want) {
			t.Errorf("details lack %q:\n%s", want, all)
		}
	}
	sum := summaryLines(thp, "x", a)
	if last := sum[len(sum)-1]; !strings.HasPrefix(last.text, "localhost/gcc:12: 2 layers, ") || !strings.Contains(last.text, "· yours: ") {
		t.Errorf("summary line %q, want the base/yours split", last.text)
	}
}
