// Package store keeps each room's recent records, so that a chat server
// can replay a room's history to a newcomer and whatever a reconnecting
// client missed. A record's payload is opaque bytes; a room is an opaque
// key of 1 to 255 bytes.
//
// Each room keeps its newest Options.Keep records, each with an ID that
// orders it within the room (see ID), within Options.Bounds: a room's
// own bounds (RoomBytes, MaxAge) drop its oldest records, and the bounds
// of the log as a whole and of an owner (Total, Share, RoomShare) refuse
// a new record; no room ever loses records for what happens in another.
// A record may have an owner, whose key it is charged to (see Charge).
//
// # Memory and disk
//
// Without a directory the log is memory only: it holds the payloads,
// Keep per room, and loses them on restart. With Options.Dir it is
// durable, and memory holds only an index (ID, segment, offset and length
// of each kept record); Last and After read the payloads back from the
// segment files with ReadAt, never waiting behind an fsync.
//
// # On disk
//
// The directory holds a LOCK file, locked with flock while a Log has it
// open (on Unix; elsewhere the lock is not taken, and two Logs must not
// share a directory), and
// numbered segment files (00000001.seg, 00000002.seg, ...) of records
// appended back to back. A record is
//
//	uint32 body length | uint32 CRC-32C of the body | body
//	body: room length (1 byte) | room | ID.Ms (8) | ID.Seq (8) | payload
//
// where a record with an owner has the room key, a NUL byte and the
// owner's key in its room field.
//
// integers little-endian, CRC-32C the Castagnoli polynomial. Only the
// newest segment is written to; a new one starts once it passes
// Options.SegmentSize. A segment whose records have all aged out is
// deleted; one kept alive by a few live records (a quiet room's) is
// compacted: its live records are copied to the newest segment with their
// IDs, then it is deleted. Disk use thus stays near twice the live data,
// plus one segment. Open replays every segment; copies left by an
// interrupted compaction are recognised by their IDs.
//
// # Guarantees
//
// With a directory, Append calls its done function only after the record
// is written and fsynced, so a crash at any moment loses nothing that was
// acknowledged. One committer goroutine writes everything pending with one
// write and one fsync (group commit). A write or fsync that fails fails
// every record of its batch and the segment is cut back to where it was.
// On Open, a torn record at the very end of the newest segment (one with
// no intact record after it) is cut off with a warning; damage anywhere
// else stops Open with an error naming the file and the byte offset.
//
// The done functions Append takes are called in ID order within a room
// and never concurrently: from the committer goroutine with a directory,
// and before Append returns in memory mode, under the same ordering lock.
package store
