package main

// maskBlocks XORs every whole 64-byte block of b with k64 repeated
// (mask_amd64.s). Plain Go retires one 8-byte store at a time and reaches
// less than half of copy's speed; SSE2's 16-byte stores are part of the
// amd64 baseline, so this needs no check of the processor's features.
//
//go:noescape
func maskBlocks(b []byte, k64 uint64)
