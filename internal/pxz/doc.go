// Package pxz writes the .xz format with the blocks compressed in
// parallel: the input is cut into blocks of Options.BlockSize bytes, each
// block is LZMA2-compressed on its own (a fresh dictionary, so blocks do
// not depend on each other) by one of Options.Jobs workers, and the
// blocks are written in input order as one standard .xz stream with a
// CRC64 check per block and an index, as `xz -T` writes it. `xz -d` and
// github.com/ulikunitz/xz's reader both decode it.
//
// The output depends only on the input, BlockSize and DictCap, never on
// Jobs or timing: the same file gives the same bytes (and so the same
// Tahoe cap) on every machine.
//
// Memory is bounded by Jobs+1 block buffers, Jobs encoders and Jobs
// compressed blocks waiting to be written; Options.Memory estimates it.
// docs/uploader.md says how the uploader uses it.
package pxz
