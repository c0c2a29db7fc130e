package main

// maskBlocks XORs every whole 64-byte block of b with k64 repeated
// (mask_amd64.s). Plain Go retires one 8-byte store at a time and reaches
// less than half of copy's speed; vector stores keep up with it.
//
//go:noescape
func maskBlocks(b []byte, k64 uint64)

// hasAVX2 reports whether maskBlocks may use AVX2 (mask_amd64.s).
func hasAVX2() bool

// useAVX2 is read by maskBlocks: set once, before main runs, from what the
// processor can do.
var useAVX2 = hasAVX2()
