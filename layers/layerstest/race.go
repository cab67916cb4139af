//go:build race

package layerstest

const raceEnabled = true
