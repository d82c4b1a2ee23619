"""LaTeX input: formulas as they appear in papers, lecture notes and Q&A sites.

:func:`~matdiff.latex.reader.parse_latex` reads a LaTeX formula, optionally followed by a
``where`` clause in the plain language (plus index declarations such as ``u_i: row i of U``,
``W^{j}: column j of W``), into the same :class:`~matdiff.syntax.Parsed` tree the plain
parser produces.  Every node's span, and every error position, is an offset into the
ORIGINAL text, so errors show a caret under the offending LaTeX character; an
unsupported macro is named (``unsupported LaTeX command \\foo``).

What is read (a hand-written tokenizer and recursive-descent parser, no eval):

* fractions ``\\frac{a}{b}``, ``\\dfrac``, ``\\tfrac``, ``\\cfrac``, and their one-token
  arguments ``\\frac1N``, ``\\frac 2N``, ``\\frac12``;
* products: implicit (``XW``, ``2X^T(XW-Y)``, ``\\lambda U``), ``*``, ``\\cdot``,
  ``\\times`` (ordinary products), ``\\odot`` and ``\\circ`` (elementwise), ``\\otimes``
  (``kron``), ``/``;
* ``^T``, ``^\\top``, ``^{T}``, ``^{\\mathsf T}``, ``^\\intercal``, ``^\\prime`` and ``'``
  (transpose), ``^{-1}`` (inverse), ``^{-T}``, other exponents (powers);
* norms ``\\|x\\|``, ``\\left\\| .. \\right\\|``, ``||x||``, ``\\lVert .. \\rVert``,
  ``\\Vert``, with ``_F``, ``_{\\text{F}}``, ``_{Fro}`` (``norm(X, 'fro')``), ``_2``,
  ``_1`` (``norm1``) and powers in either order; ``|x|`` is ``abs``;
  ``\\langle A, B \\rangle`` is ``sum(A.*B)``;
* brackets ``( ) [ ] { } \\{ \\}`` with ``\\left``/``\\right`` and ``\\big``-style sizes;
* styles stripped: ``\\mathbf``, ``\\boldsymbol``, ``\\bm``, ``\\mathcal``, ...;
  ``\\mathrm``, ``\\text``, ``\\operatorname``, ``\\mbox``, ``\\mathsf``: a function name
  (``\\operatorname{tr}``, ``\\mathrm{Tr}``), a letter, or a multi-letter name;
* functions ``\\log \\ln \\exp \\sin \\cos \\det \\sqrt`` and the other spellings that
  the elementwise functions' records (:mod:`matdiff.ops`) list,
  ``\\operatorname{tr/diag/vec/logdet/sigmoid/...}``, bare ``tr(``, ``log(`` ...;
  with brackets or applied to the product that follows (``\\log\\det X``);
* Greek letters (``\\lambda`` -> ``lambda``, ``\\Sigma`` -> ``Sigma``), subscripted
  names (``x_1`` -> ``x_1``, ``W_{2}`` -> ``W_2``), accents (``\\hat y`` -> ``y_hat``);
* ``e^{..}`` is ``exp(..)``, ``I`` / ``\\mathbf{I}`` the identity, ``\\mathbf{1}`` the
  all-ones vector (each unless declared a variable; each gives a note);
* matrix functions, by the argument's type (:mod:`.readings`): ``e^{X}``, ``\\exp(X)``,
  ``X^{1/2}``, ``X^{-1/2}`` of a matrix are ``expm``, ``sqrtm``, ``inv(sqrtm)``;
  ``\\log(X)``, ``\\sqrt{X}`` of a matrix already square by the text are ``logm``,
  ``sqrtm``, of any other matrix entrywise (each with a note); ``e^{\\circ X}``,
  ``\\log^{\\circ}(X)``, ``X^{\\circ p}`` are entrywise; ``\\operatorname{expm}`` and the
  other names of the language are read as such;
* spectral functions (:mod:`.spectral`): ``\\lambda_1(S)`` (``eigvals(S)[1]``, ascending),
  ``\\sigma_1(X)`` (``svals(X)[1]``, descending), ``\\sum_i f(\\lambda_i(S))``,
  ``\\lambda_{\\min}``, ``\\lambda_{\\max}`` (``-eigvals(-S)[1]``), ``\\sigma_{\\max}``
  (``norm(X, 2)``), ``\\boldsymbol{\\lambda}(S)``; norms ``_*``, ``_{nuc}``, ``_{op}``;
  Frechet derivatives ``L_{\\exp}(X, E)``; selections ``{X}_{1,2}``, ``(AB)_{1,2}``,
  ``\\operatorname{eigvecs}(S)_{:,1}`` (positions from 1);
* means (:mod:`.means`): ``\\frac{1}{N}\\sum_{i=1}^{N} t_i`` is the mean of the terms when
  N appears nowhere else (``mean(...)``; over ``(i, j)`` the mean over i of the sums over
  j), ``\\bar{x}`` is ``mean(x)`` when x appears in the formula, ``\\mathbb{E}[v]`` is
  ``mean(v)``, the mean of the entries of v with its powers read entry by entry (with a
  script, ``\\mathbb{E}_x``, it is an error); each gives a note;
* ``F(U, V) = ...``: the right-hand side is read;
* sums in index notation (see :mod:`matdiff.index_notation`): ``\\sum_{j=1}^{m}``,
  ``\\sum^{m}_{j'=1}``, ``\\sum_{i,j}``, ``\\sum_{ij}``, ``\\sum_i\\sum_j``,
  ``\\sum_{(i,j)\\in\\Omega}``, with entries ``x_i``, ``M_{ij}``, rows and columns
  ``u_i``, ``W^{j}``, ``W_{:,j}``, ``W_{i,:}`` (declared in the where clause, or
  inferred: a superscript index on an uppercase matrix is a column).

Bounds: a formula has at most 20000 characters (:data:`matdiff.lex.MAX_TEXT_LENGTH`),
numbers at most 1000 digits, at most 100 nested brackets or braces
(:data:`~.reader.MAX_BRACKET_DEPTH`, refused in one pass before reading); the reader's
recursion is bounded (:data:`~.reader.MAX_READER_FRAMES`: ``-------x``, ``\\exp\\exp...``
nested too deeply) and its tree as deep as the plain parser's
(:data:`matdiff.parse.MAX_TREE_DEPTH`).  Numbers are bounded as in the plain language
(:mod:`matdiff.exact`), at the LaTeX text that made them (``2^{2^{2^{5}}}``).

The modules, in the order they build on each other:

* :mod:`.vocabulary` -- the commands and words read (Greek letters, functions, styles,
  delimiters);
* :mod:`.tokens` -- the tokenizer (:func:`~.tokens.tokenize_latex`) and
  :func:`~.tokens.looks_like_latex`;
* :mod:`.where` -- the where clause: plain declarations and index declarations;
* the reader, one recursive-descent parser built in layers: :mod:`.cursor` (tokens,
  errors), :mod:`.scripts` (subscripts and superscripts), :mod:`.indexed` (names with
  their scripts, index uses, transposes and powers), :mod:`.delimiters` (brackets, bars,
  norms), :mod:`.words` (styles, words, accents, functions), :mod:`.sums` (``\\sum``),
  :mod:`.spectral` (eigenvalues, singular values, Frechet derivatives, selections) and
  :mod:`.reader` (expressions, commands, and the entry :func:`~.reader.parse_latex`);
* :mod:`.readings` -- after reading, the sites whose reading depends on types.
"""
