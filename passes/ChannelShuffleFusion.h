#pragma once

#include "ir/Graph.h"

namespace deeper {

/// ShuffleNet ends each unit in a concat of k branches and a channel shuffle, which exporters write
/// as reshape, transpose, reshape: output channel j*k+i is branch i's channel j. Run as written, the
/// transpose is a kernel that copies the whole concat once more. The three views fold into the concat
/// (interleave=true), which then places each branch's channels k apart itself:
///
///     c = concat(a, b)                      : [N,2C,H,W]
///     r = reshape(c, shape=2xCxHxW)         : [N,2,C,H,W]        c = concat(a, b, interleave=true)
///     t = transpose(r, perm=0x2x1x3x4)      : [N,C,2,H,W]   ==>    (t2's readers read c)
///     t2 = reshape(t, shape=2CxHxW)         : [N,2C,H,W]
///
///     channels of c:  a0 a1 .. aC-1 b0 b1 .. bC-1   ==>   a0 b0 a1 b1 .. aC-1 bC-1
///
/// Stored N,C,H,W each channel is a plane, so an interleaving concat is a copy of whole planes, and
/// one that concat-elision makes in place lets conv and pool kernels write their planes k apart: the
/// shuffle then costs nothing. Applies where the concat is along axis 1, its k inputs have one extent
/// there, the first reshape splits that axis into k x C (the other axes kept), the transpose swaps
/// exactly those two axes, the second reshape gives back the concat's shape, and nothing but the next
/// of them reads the concat, the reshape and the transpose. Returns whether any shuffle was folded.
bool runChannelShuffleFusion(Graph &graph);

}  // namespace deeper
