"""Sums and index notation, turned into matrix form.

Both input front ends read index notation:

* LaTeX (:mod:`matdiff.latex`): ``\\sum_{j=1}^{m} \\|W^{j}\\|^2``,
  ``\\sum_{(i,j)\\in\\Omega} (M_{ij} - u_i v_j^T)^2``, ``\\sum_i x_i y_i``;
* the plain language (:mod:`matdiff.parse` with ``index_forms``): ``sum(j, EXPR)``,
  ``sum(i, j, EXPR)`` and ``sum((i, j) in Omega, EXPR)`` with the indexing ``W[:, j]``
  (column j), ``W[i, :]`` (row i, a row vector), ``M[i, j]`` and ``x[i]`` (entries).

A front end builds an ordinary :mod:`matdiff.syntax` tree in which two extra node types
may appear: :class:`~matdiff.syntax.IndexSum` (a sum over indices) and
:class:`~matdiff.syntax.Slice` (an entry, a row or a column of a named matrix or
vector).  The stages that replace them with matrix expressions:

* :mod:`.resolve` -- :func:`~.resolve.resolve` (and the plain front end
  :func:`~.resolve.parse_plain`): placeholders, one type check, kinds pinned;
* :mod:`.vectorize` -- each summand's sub-expressions for every value of its indices;
* :mod:`.sums` -- the sums in matrix form (the common patterns by hand);
* :mod:`.values` -- the vectorized values and the small expressions they are built of.
"""
