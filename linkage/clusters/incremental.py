"""Incremental clustering for a refresh: earlier clusters as super-nodes, new links only.

A linked run's clusters are the connected components of its links. When new records arrive,
the components of the earlier links that remain plus the new links can be found without
walking every earlier link again:

* an earlier cluster that lost none of its records is still connected by its own links, so it
  enters as a single node (a *super-node*);
* an earlier cluster that lost a record (replaced by a new version, whose earlier links are
  dropped) may fall apart, so its remaining records enter one by one with the earlier links
  among them;
* every new record enters as its own node;

and the components of those nodes joined by the new links are the clusters. The result equals
connected components over every link (:func:`linkage.model.predict.connected_components`), as long
as each earlier cluster was a component of the earlier links, which holds for every output of
``workbench link``.

The clusters that can differ from before (*touched*) are those holding a new record or a
record of an earlier cluster that lost one; every other cluster is an earlier one unchanged, so
its id and its place in the change report need no work.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from linkage.model.predict import connected_components


@dataclass
class Components:
    """Clusters after a refresh.

    Attributes:
        labels: Per record, a component label (equal labels, same cluster).
        touched: Per record, whether its cluster holds a new record or a record of an
            earlier cluster that lost one (every other cluster is an earlier one unchanged).
    """

    labels: np.ndarray
    touched: np.ndarray


def update_components(
    old_codes: np.ndarray,
    lost: np.ndarray,
    carried: tuple[np.ndarray, np.ndarray],
    new: tuple[np.ndarray, np.ndarray],
) -> Components:
    """Connected components of the earlier links that remain plus the new links.

    Args:
        old_codes: Per record now, the code (``0 .. n - 1``) of the earlier cluster it was
            in, or ``-1`` for a new record (a record replacing an earlier version is new).
        lost: Per earlier cluster code, whether it lost a record since (it may split).
        carried: The earlier links that remain, as record positions ``(l, r)``.
        new: The new links, as record positions ``(l, r)``.

    Returns:
        A label per record and which records sit in touched clusters.
    """
    codes = np.asarray(old_codes, dtype=np.int64)
    lost = np.asarray(lost, dtype=bool)
    n_old = len(lost)
    clean = codes >= 0
    clean[clean] = ~lost[codes[clean]]
    node = np.empty(len(codes), dtype=np.int64)
    node[clean] = codes[clean]
    loose = np.flatnonzero(~clean)
    node[loose] = n_old + np.arange(len(loose), dtype=np.int64)
    cl, cr = (np.asarray(a, dtype=np.int64) for a in carried)
    # Earlier links inside an intact earlier cluster join a node to itself: only those among
    # the records of a cluster that lost one (or, defensively, across clusters) count.
    inner = node[cl] != node[cr]
    left = np.concatenate([node[cl[inner]], node[np.asarray(new[0], dtype=np.int64)]])
    right = np.concatenate([node[cr[inner]], node[np.asarray(new[1], dtype=np.int64)]])
    label = connected_components(n_old + len(loose), left, right)
    labels = label[node]
    hit = np.zeros(n_old + len(loose), dtype=bool)
    hit[label[n_old:]] = True
    return Components(labels=labels, touched=hit[labels])
