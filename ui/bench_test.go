package ui

import (
	"fmt"
	"testing"
	"time"

	"github.com/stagescope/stagescope/analyze/fstree"
	"github.com/stagescope/stagescope/layers"
)

// cpuPerOp reports the CPU time per op (see cpuTime) besides the wall
// clock, from the time b's loop started; per is how many ops a loop
// iteration makes.
func cpuPerOp(b *testing.B, start time.Duration, per int) {
	b.ReportMetric(float64((cpuTime()-start).Nanoseconds())/float64(b.N*per)/1e6, "cpu-ms/op")
}

// bigTree merges three layers over 270 000 files: a base of 250 000 files
// in 100×50 directories, a layer that rewrites 37 500 and adds 20 000, and
// one that deletes a directory.
func bigTree(b *testing.B) *fstree.Tree {
	b.Helper()
	var base, upd, del []layers.Entry
	for d := 0; d < 100; d++ {
		for e := 0; e < 50; e++ {
			dir := fmt.Sprintf("usr/d%d/e%d", d, e)
			for f := 0; f < 50; f++ {
				p := fmt.Sprintf("%s/f%d", dir, f)
				base = append(base, layers.Entry{Path: p, Size: int64(100 + f*d), Digest: uint64(d*1_000_000 + e*100 + f + 1)})
				if d < 15 {
					upd = append(upd, layers.Entry{Path: p, Size: int64(200 + f), Digest: uint64(7_000_000 + d*10_000 + e*100 + f)})
				}
			}
		}
	}
	for i := 0; i < 20_000; i++ {
		upd = append(upd, layers.Entry{Path: fmt.Sprintf("opt/app/m%d/n%d", i/100, i%100), Size: int64(i % 5000), Digest: uint64(9_000_000 + i)})
	}
	del = append(del, layers.Entry{Path: "usr/d99", Whiteout: layers.FileWhiteout})
	bl := fstree.NewBuilder()
	bl.Add(base)
	bl.Add(upd)
	bl.Add(del)
	t := bl.Finish()
	if n := t.Nodes(); n < 250_000 {
		b.Fatalf("tree has %d nodes, want at least 250000", n)
	}
	return t
}

// BenchmarkTreeView measures building the tree view of 250 000 files: the
// first paint (top level only, children built lazily), and the changes a
// key makes.
func BenchmarkTreeView(b *testing.B) {
	t := bigTree(b)
	b.Run("first-paint", func(b *testing.B) {
		start := cpuTime()
		for b.Loop() {
			m := newTreeModel(t, nil)
			if len(m.Rows()) == 0 {
				b.Fatal("no rows")
			}
		}
		cpuPerOp(b, start, 1)
	})
	b.Run("open-one", func(b *testing.B) {
		m := newTreeModel(t, nil)
		m.Rows()
		usr := t.Lookup("usr/d3")
		start := cpuTime()
		for b.Loop() {
			m.setOpen(usr, true)
			m.Rows()
			m.setOpen(usr, false)
			m.Rows()
		}
		cpuPerOp(b, start, 1)
	})
	b.Run("switch-layer", func(b *testing.B) {
		m := newTreeModel(t, nil)
		i := 0
		start := cpuTime()
		for b.Loop() {
			m.setLayer(i%3, false)
			m.Rows()
			i++
		}
		cpuPerOp(b, start, 1)
	})
	b.Run("filter-keystroke", func(b *testing.B) {
		m := newTreeModel(t, nil)
		pats := []string{"f3", "f39", "e4/f39"}
		i := 0
		start := cpuTime()
		for b.Loop() {
			m.setPattern(pats[i%len(pats)])
			m.Rows()
			i++
		}
		cpuPerOp(b, start, 1)
	})
	b.Run("filter-typing", func(b *testing.B) {
		// "e4/f39" typed one key at a time into an empty filter, then
		// cleared: the time is per key.
		m := newTreeModel(t, nil)
		const typed = "e4/f39"
		start := cpuTime()
		for b.Loop() {
			for i := 1; i <= len(typed); i++ {
				m.setPattern(typed[:i])
				m.Rows()
				m.rootInfo()
			}
			m.setPattern("")
			m.Rows()
		}
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*(len(typed)+1))/1e6, "ms/key")
		b.ReportMetric(float64((cpuTime()-start).Nanoseconds())/float64(b.N*(len(typed)+1))/1e6, "cpu-ms/key")
	})
	b.Run("sort-keystroke", func(b *testing.B) {
		m := newTreeModel(t, nil)
		m.setOpen(t.Lookup("usr"), true)
		m.setOpen(t.Lookup("usr/d3"), true)
		start := cpuTime()
		for b.Loop() {
			m.toggleSort()
			m.Rows()
		}
		cpuPerOp(b, start, 1)
	})
	b.Run("hide-keystroke", func(b *testing.B) {
		m := newTreeModel(t, nil)
		start := cpuTime()
		for b.Loop() {
			m.toggle(&m.hide[stUnchanged])
			m.Rows()
		}
		cpuPerOp(b, start, 1)
	})
	b.Run("find-next", func(b *testing.B) {
		p := newTreePane(&theme{})
		p.m = newTreeModel(t, nil)
		p.search.set("opt/app/m199/n99")
		start := cpuTime()
		for b.Loop() {
			p.sel = 0
			if !p.find(1, false) {
				b.Fatal("no match")
			}
		}
		cpuPerOp(b, start, 1)
	})
	b.Run("open-all", func(b *testing.B) {
		start := cpuTime()
		for b.Loop() {
			m := newTreeModel(t, nil)
			m.setAllOpen(true)
			if n := len(m.Rows()); n < 250_000 {
				b.Fatalf("%d rows open, want every node", n)
			}
		}
		cpuPerOp(b, start, 1)
	})
}

// BenchmarkLargeDir opens a directory of 100 000 files, sorts it both ways,
// and moves through its rows as the tree pane draws them.
func BenchmarkLargeDir(b *testing.B) {
	var es []layers.Entry
	for i := 0; i < 100_000; i++ {
		es = append(es, layers.Entry{Path: fmt.Sprintf("big/file-%06d.dat", i), Size: int64(i * 7919 % 100_000), Digest: uint64(i + 1)})
	}
	bl := fstree.NewBuilder()
	bl.Add(es)
	t := bl.Finish()
	big := t.Lookup("big")
	b.Run("open", func(b *testing.B) {
		m := newTreeModel(t, nil)
		start := cpuTime()
		for b.Loop() {
			m.setOpen(big, true)
			if n := len(m.Rows()); n != 100_001 {
				b.Fatalf("%d rows, want 100001", n)
			}
			m.setOpen(big, false)
			m.Rows()
		}
		cpuPerOp(b, start, 1)
	})
	b.Run("sort", func(b *testing.B) {
		m := newTreeModel(t, nil)
		m.setOpen(big, true)
		start := cpuTime()
		for b.Loop() {
			m.toggleSort()
			m.Rows()
		}
		cpuPerOp(b, start, 1)
	})
	b.Run("page-down", func(b *testing.B) {
		p := newTreePane(&theme{})
		p.m = newTreeModel(t, nil)
		p.m.setOpen(big, true)
		p.m.Rows()
		p.height = 40
		start := cpuTime()
		for b.Loop() {
			p.page(1)
			if p.sel >= 100_000 {
				p.sel = 0
			}
		}
		cpuPerOp(b, start, 1)
	})
}
