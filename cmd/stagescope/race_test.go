//go:build race

package main

// raceEnabled is set when the tests run with -race, which makes reading the
// gigabyte-sized shared images too slow for the CI time limit.
const raceEnabled = true
