//go:build !race

package layerstest

const raceEnabled = false
