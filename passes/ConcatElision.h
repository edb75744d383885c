#pragma once

#include "ir/Graph.h"

namespace deeper {

/// An inception module ends in a concat of its four branches. Copying the branches into the concat's
/// buffer costs a pass over the module's output; instead each branch can write its result straight into
/// its channel slice, and the concat becomes a name for the whole (in_place=true):
///
///     b1 = conv(x, out=64)  ─┐                      ┌─ channels   0..63  written by b1
///     b2 = conv(y, out=128) ─┼─ m = concat(...)  ⇒ m ├─ channels  64..191 written by b2
///     b3 = maxpool(z)       ─┘                      └─ channels 192..    written by b3
///
/// Rules, each needed for the slices to be plain strided views of one buffer:
///  - the concat is along channels (axis 1) and is not a graph output (outputs live in caller buffers);
///  - each input is computed by a conv, pool, lrn, relu, batchnorm or fc kernel, whose output layout
///    puts the batch outermost, so a slice only changes the batch stride and the start;
///  - each input appears once, and nothing but this concat reads it (no one else may see it dense);
///  - interleaved (channel-shuffle-fusion), each input is a conv, pool or lrn value: its kernel writes
///    its channels k planes apart (stored N,C,H,W; channels-last leaves such a concat N,C,H,W). An
///    interleaving concat of rank 4 some of whose inputs cannot (ShuffleNet's: a slice of the unit's
///    input beside its branch's conv) gets a copy kernel for each of those, `<concat>/copy<i>`, which
///    writes its planes into place, where the concat kernel would have copied every input:
///
///        u = slice(s, ...)                          u = slice(s, ...)
///        w = conv(...)                      ==>     c/copy0 = copy(u)
///        c = concat(u, w, interleave=true)          c = concat(c/copy0, w, interleave=true, in_place=true)
///
/// Returns whether any concat became in place.
bool runConcatElision(Graph &graph);

}  // namespace deeper
