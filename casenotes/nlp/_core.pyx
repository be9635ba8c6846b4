# cython: language_level=3, boundscheck=False, wraparound=False, initializedcheck=False
"""casenotes' compiled reader core: the per-note work of the lexicon matcher.

The same rules as the Python matcher (``matching.py`` is the reference, and a test checks
that both give the same hits on every sample note), with a note's raw hits, token-pattern
states and the choice among overlapping hits kept in C arrays instead of Python objects.
What a token pattern asks of a token is answered once per distinct token and remembered as
bits, so a pattern runs as a small automaton over integers.
"""

from libc.math cimport exp, fabs
from libc.stdlib cimport calloc, free, malloc, qsort, realloc
from libc.string cimport memcmp

from cpython.dict cimport PyDict_GetItem
from cpython.list cimport PyList_GET_ITEM
from cpython.object cimport PyObject, PyTypeObject
from cpython.ref cimport Py_INCREF, Py_XDECREF
from cpython.tuple cimport PyTuple_GET_ITEM, PyTuple_GET_SIZE, PyTuple_SET_ITEM

cdef extern from "Python.h":
    int PyObject_GenericSetAttr(object obj, object name, object value) except -1
    Py_ssize_t PyLong_AsSsize_t(PyObject* value) noexcept
    ctypedef struct PyMemberDef:
        const char* name
        int type
        Py_ssize_t offset
    ctypedef struct PyMemberDescrObject:
        PyMemberDef* d_member

cdef extern from "structmember.h":
    int T_OBJECT_EX
    Py_ssize_t PyUnicode_GET_LENGTH(object text)
    Py_UCS4 PyUnicode_READ_CHAR(object text, Py_ssize_t index)
    int PyUnicode_KIND(object text)
    int PyUnicode_1BYTE_KIND
    void* PyUnicode_DATA(object text)
    Py_UCS4 PyUnicode_READ(int kind, void* data, Py_ssize_t index)

cdef enum:
    OP_ONE = 0
    OP_OPTIONAL = 1
    OP_PLUS = 2
    OP_STAR = 3

#: Distinct tokens whose answers are remembered before the memory starts again: reached
#: within the first 100,000 notes of a realistic export, so a long run's memory stays flat
#: (starting again costs a few milliseconds of answers worked out anew).
cdef Py_ssize_t TYPE_MEMORY = 50_000


cdef struct Raw:
    int key
    int start
    int end


cdef struct Ranked:
    int negative_length
    int start
    int order
    int end
    int key


cdef struct Block:
    int start
    int end


cdef struct Chosen:
    int start
    int end
    int key
    int rank


cdef int _by_rank(const void* a, const void* b) noexcept nogil:
    cdef const Ranked* x = <const Ranked*>a
    cdef const Ranked* y = <const Ranked*>b
    if x.negative_length != y.negative_length:
        return -1 if x.negative_length < y.negative_length else 1
    if x.start != y.start:
        return -1 if x.start < y.start else 1
    if x.order != y.order:
        return -1 if x.order < y.order else 1
    return 0


cdef int _by_span(const void* a, const void* b) noexcept nogil:
    cdef const Block* x = <const Block*>a
    cdef const Block* y = <const Block*>b
    if x.start != y.start:
        return -1 if x.start < y.start else 1
    if x.end != y.end:
        return -1 if x.end < y.end else 1
    return 0


cdef int _by_start(const void* a, const void* b) noexcept nogil:
    # Stable: equal starts keep the order in which they were chosen.
    cdef const Chosen* x = <const Chosen*>a
    cdef const Chosen* y = <const Chosen*>b
    if x.start != y.start:
        return -1 if x.start < y.start else 1
    return -1 if x.rank < y.rank else (1 if x.rank > y.rank else 0)


cdef class _TokenType:
    """What the patterns ask of one distinct token: patterns it anchors, required-literal
    groups it belongs to, and the tests it passes, each worked out only when a pattern asks
    it of the token (a note's new job refs and names mostly never are); bit sets as bytes."""

    cdef str lower
    cdef str text
    cdef bytearray tests  # None until a pattern reaches the token; see MatcherCore._tests_of
    cdef bytes groups
    cdef bint has_groups  # any bit of ``groups`` set
    cdef tuple anchored
    cdef object root  # the phrase trie's node for this text at the root, or None


cdef class _RawHits:
    """A growing C array of (key, start, end)."""

    cdef Raw* items
    cdef Py_ssize_t count
    cdef Py_ssize_t capacity

    def __cinit__(self):
        self.capacity = 64
        self.count = 0
        self.items = <Raw*>malloc(self.capacity * sizeof(Raw))
        if self.items == NULL:
            raise MemoryError()

    def __dealloc__(self):
        free(self.items)

    cdef int push(self, int key, int start, int end) except -1:
        cdef Raw* grown
        if self.count == self.capacity:
            grown = <Raw*>realloc(self.items, 2 * self.capacity * sizeof(Raw))
            if grown == NULL:
                raise MemoryError()
            self.items = grown
            self.capacity *= 2
        self.items[self.count].key = key
        self.items[self.count].start = start
        self.items[self.count].end = end
        self.count += 1
        return 0


cdef inline bint _written_as(str text, Py_ssize_t begin, Py_ssize_t end,
                             str lower) noexcept:
    """Whether ``text[begin:end]`` is ``lower`` (a token written in lower case)."""
    cdef Py_ssize_t n = PyUnicode_GET_LENGTH(lower), k
    if end - begin != n or end > PyUnicode_GET_LENGTH(text):
        return False
    for k in range(n):
        if PyUnicode_READ_CHAR(text, begin + k) != PyUnicode_READ_CHAR(lower, k):
            return False
    return True


cdef inline bint _passes(const unsigned char* bits, int test) noexcept nogil:
    return (bits[test >> 3] >> (test & 7)) & 1


cdef extern from "Python.h":
    object PyType_GenericAlloc(PyTypeObject* type, Py_ssize_t nitems)


cdef inline object _hit(type hit_type, int start, int end, object label, object entry_id):
    """A ``TermHit`` (a named tuple) made as ``tuple.__new__`` makes an instance of a tuple
    subclass, without the Python-level ``__new__`` its class has (27 hits a passing note)."""
    cdef object hit = PyType_GenericAlloc(<PyTypeObject*>hit_type, 4)
    cdef object first = start, last = end
    Py_INCREF(first)
    PyTuple_SET_ITEM(hit, 0, first)
    Py_INCREF(last)
    PyTuple_SET_ITEM(hit, 1, last)
    Py_INCREF(label)
    PyTuple_SET_ITEM(hit, 2, label)
    Py_INCREF(entry_id)
    PyTuple_SET_ITEM(hit, 3, entry_id)
    return hit


cdef class MatcherCore:
    """Built from a :class:`~casenotes.nlp.matching.LexiconMatcher`'s compiled tables;
    :meth:`match` gives the same hits as the matcher's Python path."""

    cdef dict trie
    cdef list section_names
    cdef int n_sections
    cdef int n_keys
    cdef int* key_section
    cdef int* key_blocker
    cdef int* key_order
    cdef int* key_keep_start
    cdef int* key_keep_end
    cdef int* key_claim_kept
    cdef list key_label
    cdef list key_entry
    cdef type hit_type
    # Patterns: elements [element_first[p], element_first[p] + element_count[p]).
    cdef int n_patterns
    cdef int* pattern_key
    cdef int* element_first
    cdef int* element_count
    cdef int* element_test
    cdef int* element_op
    cdef int* pattern_longest
    cdef int* pattern_anchor_offset
    cdef int* pattern_literal
    cdef int* pattern_everywhere
    cdef list pattern_groups
    cdef list tests
    cdef int n_test_bytes
    cdef int n_group_bytes
    cdef dict by_literal
    cdef list regex_anchors
    cdef dict groups_of
    cdef public dict types

    def __init__(self, sections, phrases, anchored, hit_type):
        """``sections``: name -> section (entries, patterns); ``phrases``: joined phrase ->
        [(section, key, exact words or None)]; ``anchored``: the matcher's anchor table."""
        self.hit_type = hit_type
        self.section_names = list(sections)
        self.n_sections = len(self.section_names)
        keys = {}
        labels, entries, rows = [], [], []
        for index, (name, part) in enumerate(sections.items()):
            for key, entry in part.entries.items():
                keys[(name, key)] = len(rows)
                keep = entry.keep
                rows.append((index, int(entry.blocker), entry.order,
                             -1 if keep is None else keep[0], -1 if keep is None else keep[1],
                             int(entry.claim_kept)))
                labels.append(entry.label)
                entries.append(entry.entry_id)
        self.n_keys = len(rows)
        self.key_label, self.key_entry = labels, entries
        self.key_section = self._ints([r[0] for r in rows])
        self.key_blocker = self._ints([r[1] for r in rows])
        self.key_order = self._ints([r[2] for r in rows])
        self.key_keep_start = self._ints([r[3] for r in rows])
        self.key_keep_end = self._ints([r[4] for r in rows])
        self.key_claim_kept = self._ints([r[5] for r in rows])

        # The phrases as a trie over token texts: node = [children or None, targets or None],
        # children keyed by a token's lower-cased text; the phrase's words are the joined
        # key's pieces between separators.
        self.trie = {}
        for joined, targets in phrases.items():
            words = joined[1:len(joined) - 1].split(joined[0])
            children, node = self.trie, None
            for word in words:
                if children is None:
                    children = node[0] = {}
                node = children.get(word)
                if node is None:
                    node = children[word] = [None, None]
                children = node[0]
            node[1] = tuple((keys[(section, key)], exact) for section, key, exact in targets)

        patterns = [(name, pattern) for name, part in sections.items()
                    for pattern in part.patterns]
        number = {id(pattern): n for n, (_, pattern) in enumerate(patterns)}
        self.n_patterns = len(patterns)
        self.tests = []
        element_tests, element_ops, firsts, counts, group_lists = [], [], [], [], []
        groups_of = {}
        n_groups = 0
        op_code = {None: OP_ONE, "?": OP_OPTIONAL, "+": OP_PLUS, "*": OP_STAR}
        for name, pattern in patterns:
            firsts.append(len(element_tests))
            counts.append(len(pattern.tests))
            for test, operator in zip(pattern.tests, pattern.operators):
                element_tests.append(len(self.tests))
                element_ops.append(op_code[operator])
                self.tests.append(test)
            own = []
            for options in pattern.required:
                for literal in options:
                    groups_of.setdefault(literal, []).append(n_groups)
                own.append(n_groups)
                n_groups += 1
            group_lists.append(tuple(own))
        self.n_test_bytes = (len(self.tests) + 7) // 8 or 1
        self.n_group_bytes = (n_groups + 7) // 8 or 1
        self.groups_of = {literal: tuple(ids) for literal, ids in groups_of.items()}
        self.pattern_groups = group_lists
        self.element_first = self._ints(firsts)
        self.element_count = self._ints(counts)
        self.element_test = self._ints(element_tests)
        self.element_op = self._ints(element_ops)
        self.pattern_key = self._ints([keys[(name, pattern.key)] for name, pattern in patterns])
        self.pattern_longest = self._ints(
            [-1 if p.longest is None else p.longest for _, p in patterns])
        self.pattern_anchor_offset = self._ints(
            [-1 if p.anchor_offset is None else p.anchor_offset for _, p in patterns])
        self.pattern_literal = self._ints([int(p.anchors is not None) for _, p in patterns])
        self.pattern_everywhere = self._ints(
            [int(p.anchors is None and p.anchor_regex is None) for _, p in patterns])
        self.by_literal = {literal: tuple(number[id(p)] for _, p in found)
                           for literal, found in anchored.by_literal.items()}
        self.regex_anchors = [(number[id(p)], p.anchor_regex) for _, p in anchored.by_regex]
        self.types = {}

    cdef int* _ints(self, values) except NULL:
        cdef int* out = <int*>malloc((len(values) or 1) * sizeof(int))
        if out == NULL:
            raise MemoryError()
        for i, value in enumerate(values):
            out[i] = value
        return out

    def __dealloc__(self):
        free(self.key_section)
        free(self.key_blocker)
        free(self.key_order)
        free(self.key_keep_start)
        free(self.key_keep_end)
        free(self.key_claim_kept)
        free(self.pattern_key)
        free(self.element_first)
        free(self.element_count)
        free(self.element_test)
        free(self.element_op)
        free(self.pattern_longest)
        free(self.pattern_anchor_offset)
        free(self.pattern_literal)
        free(self.pattern_everywhere)

    cdef _TokenType _type_of(self, str lower, str text):
        """The remembered answers for one distinct token."""
        key = lower if text is lower or text == lower else (lower, text)
        found = self.types.get(key)
        if found is not None:
            return <_TokenType>found
        if len(self.types) >= TYPE_MEMORY:
            self.types.clear()
        cdef _TokenType token = _TokenType()
        token.lower, token.text, token.tests = lower, text, None
        groups = bytearray(self.n_group_bytes)
        for index in self.groups_of.get(lower, ()):
            groups[index >> 3] |= 1 << (index & 7)
        anchored = self.by_literal.get(lower, ())
        for number, regex in self.regex_anchors:
            if regex.search(text) is not None:
                anchored = anchored + (number,)
        token.groups = bytes(groups)
        token.has_groups = any(groups)
        token.anchored = anchored
        token.root = self.trie.get(lower)
        self.types[key] = token
        return token

    cdef unsigned char* _tests_of(self, _TokenType token) except NULL:
        """A token's test bits: the tests worked out so far (the first ``n_test_bytes``) and
        which of those it passes (the next)."""
        if token.tests is None:
            token.tests = bytearray(2 * self.n_test_bytes)
        return <unsigned char*><char*>token.tests

    cdef inline int _passes_at(self, unsigned char** bits, list types, Py_ssize_t q,
                               int test) except -1:
        """Whether token ``q`` passes ``test``, worked out once per distinct token (a new
        token reached by a pattern is not put through every test of the lexicon)."""
        cdef unsigned char* known
        cdef _TokenType token
        if bits[q] == NULL:
            bits[q] = self._tests_of(<_TokenType>types[q])
        known = bits[q]
        if not _passes(known, test):
            token = <_TokenType>types[q]
            known[test >> 3] |= 1 << (test & 7)
            if self.tests[test](token.lower, token.text):
                known[self.n_test_bytes + (test >> 3)] |= 1 << (test & 7)
        return _passes(known + self.n_test_bytes, test)

    def match(self, joined):
        """Each section's hits (``TermHit``), in token order, for a ``JoinedTokens``."""
        tokens = joined.tokens
        cdef tuple lowers = tokens.lowers
        cdef Py_ssize_t count = PyTuple_GET_SIZE(lowers)
        cdef _RawHits raw = _RawHits()
        cdef Py_ssize_t i, j
        cdef PyObject* node
        cdef PyObject* children
        cdef object targets
        # One lookup per token: its type carries its patterns' answers and its trie root.
        cdef list types = self._types(tokens, lowers, count)
        if self.trie:
            for i in range(count):
                node = <PyObject*>(<_TokenType>types[i]).root
                if <object>node is None:
                    continue
                j = i
                while node != NULL:
                    targets = (<list>node)[1]
                    if targets is not None:
                        for key, exact in <tuple>targets:
                            if exact is None or joined.written(i, j + 1) == exact:
                                raw.push(key, <int>i, <int>(j + 1))
                    children = <PyObject*>(<list>node)[0]
                    j += 1
                    if <object>children is None or j >= count:
                        break
                    node = PyDict_GetItem(<dict>children, <object>PyTuple_GET_ITEM(lowers, j))
        if self.n_patterns:
            self._patterns(count, raw, types)
        return self._choose_all(raw, count)

    cdef list _types(self, tokens, tuple lowers, Py_ssize_t count):
        """Each token's remembered type (keyed by its text as written when not lower case)."""
        cdef str text = tokens.text
        cdef tuple starts_at = tokens.starts, ends_at = tokens.ends
        cdef list types = [None] * count
        cdef Py_ssize_t i, begin, end
        cdef str lower
        for i in range(count):
            lower = <str>PyTuple_GET_ITEM(lowers, i)
            begin, end = <Py_ssize_t>starts_at[i], <Py_ssize_t>ends_at[i]
            if _written_as(text, begin, end, lower):  # in lower case: no new string
                types[i] = self._type_of(lower, lower)
            else:
                types[i] = self._type_of(lower, text[begin:end])
        return types

    cdef int _patterns(self, Py_ssize_t count, _RawHits raw, list types) except -1:
        """Token-pattern matches, each pattern tried only at starts its anchors allow."""
        cdef unsigned char** bits = <unsigned char**>calloc(
            count or 1, sizeof(unsigned char*))
        cdef unsigned char* present = <unsigned char*>calloc(self.n_group_bytes, 1)
        cdef unsigned char* candidates = <unsigned char*>calloc(
            (self.n_patterns * count) or 1, 1)
        cdef unsigned char* tried = <unsigned char*>calloc(self.n_patterns, 1)
        cdef int* allowed = <int*>malloc(self.n_patterns * sizeof(int))
        cdef int* state_a = <int*>calloc(count + 1, sizeof(int))
        cdef int* state_b = <int*>calloc(count + 1, sizeof(int))
        cdef Py_ssize_t i, j, p, s, low, high, offset, reach
        cdef int number, generation = 0
        cdef _TokenType token
        cdef const unsigned char* group_bits
        try:
            if (bits == NULL or present == NULL or candidates == NULL or tried == NULL
                    or allowed == NULL or state_a == NULL or state_b == NULL):
                raise MemoryError()
            for i in range(count):
                token = <_TokenType>types[i]
                if not token.has_groups:
                    continue
                group_bits = <const unsigned char*><char*>token.groups
                for j in range(self.n_group_bytes):
                    present[j] |= group_bits[j]
            for p in range(self.n_patterns):
                allowed[p] = 1
                for number in self.pattern_groups[p]:
                    if not _passes(present, number):
                        allowed[p] = 0
                        break
            for i in range(count):
                token = <_TokenType>types[i]
                for number in token.anchored:
                    p = number
                    if self.pattern_literal[p] and not allowed[p]:
                        continue
                    tried[p] = 1
                    offset = self.pattern_anchor_offset[p]
                    if offset >= 0:
                        if i >= offset:
                            candidates[p * count + i - offset] = 1
                        continue
                    reach = self.pattern_longest[p] if self.pattern_longest[p] >= 0 else count
                    low = i - reach + 1 if i - reach + 1 > 0 else 0
                    for s in range(low, i + 1):
                        candidates[p * count + s] = 1
            for p in range(self.n_patterns):
                if self.pattern_everywhere[p]:
                    tried[p] = 1
                    for s in range(count):
                        candidates[p * count + s] = 1
            for p in range(self.n_patterns):
                if not tried[p]:
                    continue
                for s in range(count):
                    if candidates[p * count + s]:
                        generation = self._run(p, s, count, bits, types, state_a,
                                               state_b, generation, raw)
            return 0
        finally:
            free(bits)
            free(present)
            free(candidates)
            free(tried)
            free(allowed)
            free(state_a)
            free(state_b)

    cdef int _run(self, Py_ssize_t p, Py_ssize_t start, Py_ssize_t count,
                  unsigned char** bits, list types, int* current, int* following,
                  int generation, _RawHits raw) except -1:
        """Every end of a match of pattern ``p`` from token ``start``: the positions reached
        after each element, as stamps (``current[q] == now``), with no clearing."""
        cdef int now, then, test, op
        cdef Py_ssize_t k, q, low, high, new_low, new_high
        cdef int* swap
        generation += 1
        now = generation
        current[start] = now
        low = high = start
        for k in range(self.element_first[p], self.element_first[p] + self.element_count[p]):
            test = self.element_test[k]
            op = self.element_op[k]
            generation += 1
            then = generation
            new_low = count + 1
            new_high = -1
            if op == OP_OPTIONAL or op == OP_STAR:
                for q in range(low, high + 1):
                    if current[q] == now:
                        following[q] = then
                        if q < new_low:
                            new_low = q
                        if q > new_high:
                            new_high = q
            if op == OP_ONE or op == OP_OPTIONAL:
                for q in range(low, (high if high < count - 1 else count - 1) + 1):
                    if current[q] == now and self._passes_at(bits, types, q, test):
                        following[q + 1] = then
                        if q + 1 < new_low:
                            new_low = q + 1
                        if q + 1 > new_high:
                            new_high = q + 1
            else:
                q = low
                while q < count and (q <= high or following[q] == then):
                    if ((q <= high and current[q] == now) or following[q] == then) and \
                            self._passes_at(bits, types, q, test):
                        following[q + 1] = then
                        if q + 1 < new_low:
                            new_low = q + 1
                        if q + 1 > new_high:
                            new_high = q + 1
                    q += 1
            if new_high < 0:
                return generation
            swap = current
            current = following
            following = swap
            now = then
            low, high = new_low, new_high
        for q in range(low, high + 1):
            if q > start and current[q] == now:
                raw.push(self.pattern_key[p], <int>start, <int>q)
        return generation

    cdef dict _choose_all(self, _RawHits raw, Py_ssize_t count):
        out = {}
        for section in range(self.n_sections):
            out[self.section_names[section]] = self._choose(section, raw, count)
        return out

    cdef list _choose(self, int section, _RawHits raw, Py_ssize_t count):
        """Longest first (then earliest, then first added); hits inside a look-alike dropped;
        the kept hits in token order."""
        cdef Py_ssize_t i, n_hits = 0, n_blocks = 0, n_chosen = 0, low, high, middle, index
        cdef int key, kept_start, kept_end, claim_start, claim_end, q
        cdef bint clash
        for i in range(raw.count):
            key = raw.items[i].key
            if self.key_section[key] == section:
                if self.key_blocker[key]:
                    n_blocks += 1
                else:
                    n_hits += 1
        if n_hits == 0:
            return []
        cdef Ranked* hits = <Ranked*>malloc(n_hits * sizeof(Ranked))
        cdef Block* blocks = <Block*>malloc((n_blocks or 1) * sizeof(Block))
        cdef int* furthest = <int*>malloc((n_blocks or 1) * sizeof(int))
        cdef Chosen* chosen = <Chosen*>malloc(n_hits * sizeof(Chosen))
        cdef unsigned char* taken = <unsigned char*>calloc(count or 1, 1)
        try:
            if (hits == NULL or blocks == NULL or furthest == NULL or chosen == NULL
                    or taken == NULL):
                raise MemoryError()
            n_hits = n_blocks = 0
            for i in range(raw.count):
                key = raw.items[i].key
                if self.key_section[key] != section:
                    continue
                if self.key_blocker[key]:
                    blocks[n_blocks].start = raw.items[i].start
                    blocks[n_blocks].end = raw.items[i].end
                    n_blocks += 1
                else:
                    hits[n_hits].negative_length = raw.items[i].start - raw.items[i].end
                    hits[n_hits].start = raw.items[i].start
                    hits[n_hits].order = self.key_order[key]
                    hits[n_hits].end = raw.items[i].end
                    hits[n_hits].key = key
                    n_hits += 1
            qsort(hits, n_hits, sizeof(Ranked), _by_rank)
            qsort(blocks, n_blocks, sizeof(Block), _by_span)
            for i in range(n_blocks):
                furthest[i] = blocks[i].end if i == 0 or blocks[i].end > furthest[i - 1] \
                    else furthest[i - 1]
            for i in range(n_hits):
                key = hits[i].key
                if self.key_keep_start[key] >= 0:
                    kept_start = hits[i].start + self.key_keep_start[key]
                    kept_end = hits[i].start + self.key_keep_end[key]
                else:
                    kept_start, kept_end = hits[i].start, hits[i].end
                if n_blocks:
                    # bisect_right(block starts, kept_start) - 1
                    low, high = 0, n_blocks
                    while low < high:
                        middle = (low + high) >> 1
                        if kept_start < blocks[middle].start:
                            high = middle
                        else:
                            low = middle + 1
                    index = low - 1
                    if index >= 0 and furthest[index] >= kept_end:
                        continue
                if self.key_claim_kept[key]:
                    claim_start, claim_end = kept_start, kept_end
                else:
                    claim_start, claim_end = hits[i].start, hits[i].end
                clash = False
                for q in range(claim_start, claim_end):
                    if taken[q]:
                        clash = True
                        break
                if clash:
                    continue
                for q in range(claim_start, claim_end):
                    taken[q] = 1
                chosen[n_chosen].start = kept_start
                chosen[n_chosen].end = kept_end
                chosen[n_chosen].key = key
                chosen[n_chosen].rank = <int>n_chosen
                n_chosen += 1
            qsort(chosen, n_chosen, sizeof(Chosen), _by_start)
            labels, entry_ids = self.key_label, self.key_entry
            return [_hit(self.hit_type, chosen[i].start, chosen[i].end, labels[chosen[i].key],
                         entry_ids[chosen[i].key]) for i in range(n_chosen)]
        finally:
            free(hits)
            free(blocks)
            free(furthest)
            free(chosen)
            free(taken)


# ------------------------------------------------------------------------------ tokens

cdef extern from "Python.h":
    bint Py_UNICODE_ISSPACE(Py_UCS4 ch)


#: The ints 0..OFFSETS - 1, made once: a token's offsets are mostly above 256, the last int
#: Python keeps, so each would otherwise be a new object (two a token).
cdef Py_ssize_t OFFSETS = 1 << 16
cdef list _OFFSET_INTS = list(range(OFFSETS))


cdef inline object _offset(Py_ssize_t value):
    """``value`` as a Python int, from the made ones when it is one of them."""
    if value < OFFSETS:
        return <object>PyList_GET_ITEM(_OFFSET_INTS, value)
    return value


cdef struct _RunEntry:
    Py_hash_t hash
    PyObject* run  # a str of one-byte characters (owned)
    PyObject* cut  # its (offsets, texts) (owned)


cdef inline Py_hash_t _fnv1a(const unsigned char* data, Py_ssize_t n) noexcept nogil:
    cdef unsigned long long h = 14695981039346656037ULL
    cdef Py_ssize_t k
    for k in range(n):
        h = (h ^ data[k]) * 1099511628211ULL
    return <Py_hash_t>(h >> 1)


cdef class RunCache:
    """The cuts of runs already seen, found by the run's characters inside the note, so a
    run of one-byte characters met again costs a hash and a compare, not a new string and a
    dictionary lookup. Holds at most ``limit`` runs, then starts again."""

    cdef _RunEntry* entries
    cdef Py_ssize_t mask, count, limit

    def __cinit__(self, Py_ssize_t limit):
        cdef Py_ssize_t size = 16
        while size < 2 * limit:
            size *= 2
        self.entries = <_RunEntry*>calloc(size, sizeof(_RunEntry))
        if self.entries == NULL:
            raise MemoryError()
        self.mask = size - 1
        self.limit = limit
        self.count = 0

    def __dealloc__(self):
        self.clear()
        free(self.entries)

    def __len__(self):
        return self.count

    def clear(self):
        """Forget every run."""
        cdef Py_ssize_t k
        if self.entries == NULL:
            return
        for k in range(self.mask + 1):
            if self.entries[k].run != NULL:
                Py_XDECREF(self.entries[k].run)
                Py_XDECREF(self.entries[k].cut)
                self.entries[k].run = NULL
                self.entries[k].cut = NULL
        self.count = 0

    cdef PyObject* find(self, const unsigned char* data, Py_ssize_t n, Py_hash_t h) noexcept:
        """The cut of the run ``data[:n]`` (borrowed), or NULL."""
        cdef Py_ssize_t k = h & self.mask
        cdef _RunEntry* entry
        while True:
            entry = &self.entries[k]
            if entry.run == NULL:
                return NULL
            if (entry.hash == h and PyUnicode_GET_LENGTH(<object>entry.run) == n
                    and memcmp(PyUnicode_DATA(<object>entry.run), data, n) == 0):
                return entry.cut
            k = (k + 1) & self.mask

    cdef int put(self, str run, object cut, Py_hash_t h) except -1:
        cdef Py_ssize_t k
        if self.count >= self.limit:
            self.clear()
        k = h & self.mask
        while self.entries[k].run != NULL:
            k = (k + 1) & self.mask
        Py_INCREF(run)
        Py_INCREF(cut)
        self.entries[k].hash = h
        self.entries[k].run = <PyObject*>run
        self.entries[k].cut = <PyObject*>cut
        self.count += 1
        return 0


def split_tokens(str folded, dict known, object pieces, RunCache runs=None):
    """The tokens of a folded text as ``tokens.NoteTokenizer`` cuts them (its Python loop is
    the reference): starts, ends, trailing spaces and texts, as lists.

    Whitespace is what ``\\s`` matches; a run of non-space characters is cut by ``known``
    (run -> (offsets, texts)) or, the first time it is seen, by ``pieces(run)``; ``runs``,
    when given, remembers the cuts of a text of one-byte characters by their characters.
    """
    cdef Py_ssize_t n = len(folded), i = 0, begin, position
    cdef list starts = [], ends = [], spaces = [], lowers = []
    cdef tuple offsets, texts
    cdef str run
    cdef int kind = PyUnicode_KIND(folded)
    cdef void* data = PyUnicode_DATA(folded)
    cdef bint one_byte = runs is not None and kind == PyUnicode_1BYTE_KIND
    cdef Py_hash_t h
    cdef PyObject* cut
    while True:
        begin = i
        while i < n and Py_UNICODE_ISSPACE(PyUnicode_READ(kind, data, i)):
            i += 1
        if i > begin:  # a gap: its first plain space belongs to the token before
            position = begin
            if PyUnicode_READ(kind, data, begin) == u" " and starts:
                spaces[len(spaces) - 1] = True
                position += 1
            if position < i:
                starts.append(_offset(position))
                ends.append(_offset(i))
                spaces.append(False)
                lowers.append(folded[position:i])
        if i >= n:
            break
        begin = i
        while i < n and not Py_UNICODE_ISSPACE(PyUnicode_READ(kind, data, i)):
            i += 1
        if one_byte:
            h = _fnv1a(<const unsigned char*>data + begin, i - begin)
            cut = runs.find(<const unsigned char*>data + begin, i - begin, h)
            if cut != NULL:
                found = <object>cut
            else:
                run = folded[begin:i]
                found = known.get(run)
                if not found:
                    found = pieces(run)
                runs.put(run, found, h)
        else:
            run = folded[begin:i]
            found = known.get(run)
            if not found:
                found = pieces(run)
        offsets, texts = found
        if len(texts) == 1:
            starts.append(_offset(begin))
            ends.append(_offset(i))
            spaces.append(False)
            # The remembered text, not the run just cut: its hash is already computed, and
            # every later lookup of the token (types, flags, lemmas) finds it by identity.
            lowers.append(<object>PyTuple_GET_ITEM(texts, 0))
            continue
        for a, b in offsets:
            starts.append(_offset(begin + <Py_ssize_t>a))
            ends.append(_offset(begin + <Py_ssize_t>b))
            spaces.append(False)
        lowers.extend(texts)
    return starts, ends, spaces, lowers


# --------------------------------------------------------------------------- sentences

# The segmenter's token flags (``reader.token_flags``).
cdef enum:
    IS_SPACE = 1
    IS_NEWLINE = 2
    IS_SENTENCE_END = 4
    IS_DATE = 8
    IS_DAY_NUMBER = 16
    IS_MONTH_NAME = 32
    IS_WEEKDAY_NAME = 64
    IS_GLUE = 128


def segment(tuple lowers, object flag_table):
    """Sentence starts and dated entries of a token sequence, as ``reader.segment`` (the
    reference) gives them; ``flag_table[lower]`` is a token's flags."""
    cdef Py_ssize_t count = len(lowers), i, first
    cdef int* flags = <int*>malloc((count or 1) * sizeof(int))
    cdef unsigned char* starts = <unsigned char*>calloc(count or 1, 1)
    cdef int value, previous = -1
    cdef bint new_line = True, entry
    cdef list entries = []
    if flags == NULL or starts == NULL:
        free(flags)
        free(starts)
        raise MemoryError()
    try:
        for i in range(count):
            flags[i] = flag_table[<str>PyTuple_GET_ITEM(lowers, i)]
        if count:
            starts[0] = 1
        for i in range(count):
            value = flags[i]
            if value & IS_SPACE:
                if value & IS_NEWLINE:
                    new_line = True
                continue
            if new_line or previous < 0 or previous & IS_SENTENCE_END:
                starts[i] = 1
            if value & IS_DATE:
                entry = previous < 0 or new_line or not previous & IS_GLUE
            else:
                entry = (new_line and value & IS_DAY_NUMBER and i + 1 < count
                         and flags[i + 1] & IS_MONTH_NAME)
            if entry:
                first = i - 1 if i > 0 and flags[i - 1] & IS_WEEKDAY_NAME else i
                starts[first] = 1
                entries.append(first)
            new_line = False
            previous = value
        return [i for i in range(count) if starts[i]], entries
    finally:
        free(flags)
        free(starts)


# ------------------------------------------------------------------------ word classes

cdef extern from "Python.h":
    bint Py_UNICODE_ISALNUM(Py_UCS4 ch)


#: ``Py_UNICODE_ISALNUM`` of the ASCII characters: the macro makes up to four calls into the
#: Unicode database for every character, and notes are almost all ASCII.
cdef unsigned char _ASCII_ALNUM[128]
for _code in range(128):
    _ASCII_ALNUM[_code] = Py_UNICODE_ISALNUM(_code)


cdef inline bint _isalnum(Py_UCS4 c) noexcept:
    """``str.isalnum`` of one character (a table for ASCII)."""
    return _ASCII_ALNUM[c] if c < 128 else Py_UNICODE_ISALNUM(c)


cdef struct ClassHit:
    int word_class
    Py_ssize_t start
    Py_ssize_t length


cdef int _by_class_then_start(const void* a, const void* b) noexcept nogil:
    cdef const ClassHit* x = <const ClassHit*>a
    cdef const ClassHit* y = <const ClassHit*>b
    if x.word_class != y.word_class:
        return -1 if x.word_class < y.word_class else 1
    if x.start != y.start:
        return -1 if x.start < y.start else 1
    if x.length != y.length:
        return -1 if x.length > y.length else 1  # longest first
    return 0


cdef inline bint _joins_before(Py_UCS4 c) noexcept:
    return _isalnum(c) or c == u"_" or c == u"/" or c == u"&" or c == u"%" or c == u"-"


cdef inline bint _joins_after(Py_UCS4 c) noexcept:
    return _isalnum(c) or c == u"_" or c == u"/" or c == u"&" or c == u"-"


cdef int _push_class_hit(ClassHit** hits, Py_ssize_t* count, Py_ssize_t* capacity,
                         int word_class, Py_ssize_t start, Py_ssize_t length) except -1:
    cdef ClassHit* grown
    if count[0] == capacity[0]:
        grown = <ClassHit*>realloc(hits[0], 2 * capacity[0] * sizeof(ClassHit))
        if grown == NULL:
            raise MemoryError()
        hits[0], capacity[0] = grown, 2 * capacity[0]
    hits[0][count[0]].word_class = word_class
    hits[0][count[0]].start = start
    hits[0][count[0]].length = length
    count[0] += 1
    return 0


cdef list _leftmost_longest(ClassHit* hits, Py_ssize_t count, int n_classes):
    """Per class, the starts of its hits that do not overlap an earlier, longer one."""
    cdef Py_ssize_t i, reached = 0
    cdef int current = -1
    qsort(hits, count, sizeof(ClassHit), _by_class_then_start)
    out = [[] for _ in range(n_classes)]
    for i in range(count):
        if hits[i].word_class != current:
            current = hits[i].word_class
            reached = 0
            starts = out[current]
        if hits[i].start >= reached:
            starts.append(hits[i].start)
            reached = hits[i].start + hits[i].length
    return out


cdef class ClassTrie:
    """The word classes' phrases (lower-case ASCII, words one space apart) as a trie with a
    transition table, walked over a lower-cased note only from where a whole word can start.

    :meth:`starts` gives what the Python pass of ``features.WordClasses.find`` gives for the
    note with its whitespace folded, in the note's own offsets: a space in a phrase takes any
    run of whitespace, so the note is not copied and no offset map is needed; and no walk
    begins inside a word, where an Aho-Corasick pass meets every "i" of the first-person
    class.
    """

    cdef int* following  # node * 128 + character -> node (0: none; the root is node 0)
    cdef int* ending  # node -> index into endings, or -1
    cdef list endings  # tuples of class indices
    cdef int n_classes

    def __cinit__(self, dict phrases, int n_classes):
        cdef Py_ssize_t size = 1, node, used = 1, code
        cdef Py_UCS4 c
        cdef str text
        for phrase in phrases:
            size += len(<str>phrase)
        self.n_classes = n_classes
        self.endings = []
        self.following = <int*>calloc(size * 128, sizeof(int))
        self.ending = <int*>malloc(size * sizeof(int))
        if self.following == NULL or self.ending == NULL:
            raise MemoryError()
        for node in range(size):
            self.ending[node] = -1
        for phrase, indices in phrases.items():
            if (not phrase or not phrase.isascii() or phrase != phrase.lower()
                    or phrase != " ".join(phrase.split())):
                raise ValueError(f"not a lower-case ASCII phrase with single spaces: {phrase!r}")
            node = 0
            text = <str>phrase
            for c in text:
                code = node * 128 + <Py_ssize_t>c
                if self.following[code] == 0:
                    self.following[code] = <int>used
                    used += 1
                node = self.following[code]
            self.ending[node] = len(self.endings)
            self.endings.append(tuple(indices))

    def __dealloc__(self):
        free(self.following)
        free(self.ending)

    def starts(self, str lowered):
        """Per class, the sorted starts of its whole words in ``lowered``, leftmost-longest
        and non-overlapping."""
        cdef Py_ssize_t n = PyUnicode_GET_LENGTH(lowered), start, j, k, count = 0
        cdef Py_ssize_t capacity = 64
        cdef int kind = PyUnicode_KIND(lowered), node, step
        cdef void* data = PyUnicode_DATA(lowered)
        cdef Py_UCS4 c
        cdef ClassHit* hits = <ClassHit*>malloc(capacity * sizeof(ClassHit))
        if hits == NULL:
            raise MemoryError()
        try:
            for start in range(n):
                c = PyUnicode_READ(kind, data, start)
                if c >= 128 or self.following[<Py_ssize_t>c] == 0:
                    continue
                if start > 0 and _joins_before(PyUnicode_READ(kind, data, start - 1)):
                    continue
                node = self.following[<Py_ssize_t>c]
                j = start  # the last character taken
                while True:
                    if self.ending[node] >= 0 and (
                            j + 1 >= n or not _joins_after(PyUnicode_READ(kind, data, j + 1))):
                        for index in <tuple>self.endings[self.ending[node]]:
                            _push_class_hit(&hits, &count, &capacity, index, start,
                                            j + 1 - start)
                    if j + 1 >= n:
                        break
                    c = PyUnicode_READ(kind, data, j + 1)
                    if Py_UNICODE_ISSPACE(c):
                        step = self.following[node * 128 + 32]
                        if step == 0:
                            break
                        k = j + 1
                        while k < n and Py_UNICODE_ISSPACE(PyUnicode_READ(kind, data, k)):
                            k += 1
                        j = k - 1
                    else:
                        step = self.following[node * 128 + <Py_ssize_t>c] if c < 128 else 0
                        if step == 0:
                            break
                        j += 1
                    node = step
            return _leftmost_longest(hits, count, self.n_classes)
        finally:
            free(hits)


def count_words(str text, Py_ssize_t begin, Py_ssize_t end, Py_ssize_t enough):
    """How many words ``features._WORD`` finds in ``text[begin:end]`` (a run of letters and
    digits, with one apostrophe joining a second run: "tenant's"), stopping past ``enough``
    (negative: never)."""
    return _count_words(text, begin, end, enough)


cdef Py_ssize_t _count_words(str text, Py_ssize_t begin, Py_ssize_t end,
                             Py_ssize_t enough) noexcept:
    cdef Py_ssize_t i = begin, count = 0
    cdef int kind = PyUnicode_KIND(text)
    cdef void* data = PyUnicode_DATA(text)
    cdef Py_UCS4 c
    if end > PyUnicode_GET_LENGTH(text):
        end = PyUnicode_GET_LENGTH(text)
    while i < end:
        if not _isalnum(PyUnicode_READ(kind, data, i)):
            i += 1
            continue
        while i < end and _isalnum(PyUnicode_READ(kind, data, i)):
            i += 1
        if i + 1 < end:
            c = PyUnicode_READ(kind, data, i)
            if (c == u"'" or c == u"\u2019") and _isalnum(PyUnicode_READ(kind, data, i + 1)):
                i += 1
                while i < end and _isalnum(PyUnicode_READ(kind, data, i)):
                    i += 1
        count += 1
        if 0 <= enough < count:
            break
    return count


cdef inline bint _is_mark(Py_UCS4 c) noexcept:
    return (c == u"." or c == u"!" or c == u"?" or c == u":" or c == u"\n" or c == u"*"
            or c == u"-" or c == 0x2022)


cdef inline Py_UCS4 _ascii_lower(Py_UCS4 c) noexcept:
    cdef unsigned int code = <unsigned int>c
    return <Py_UCS4>(code + 32) if 65 <= code <= 90 else c


cdef Py_ssize_t _imperative_at(str text, Py_ssize_t n, Py_ssize_t q, tuple words) except -2:
    """Where an imperative (``words``, lower-case ASCII) written at ``q`` ends, whole word
    and case-blind, else -1."""
    cdef Py_ssize_t k, m, end
    cdef str word
    for item in words:
        word = <str>item
        m = PyUnicode_GET_LENGTH(word)
        end = q + m
        if end > n:
            continue
        for k in range(m):
            if _ascii_lower(PyUnicode_READ_CHAR(text, q + k)) != PyUnicode_READ_CHAR(word, k):
                break
        else:
            if end == n or not (_isalnum(PyUnicode_READ_CHAR(text, end))
                                or PyUnicode_READ_CHAR(text, end) == u"_"):
                return end
    return -1


cdef Py_ssize_t _request_at(str text, Py_ssize_t n, Py_ssize_t q, tuple words) except -2:
    """``(?:please\\s+)?`` then an imperative at ``q``: where it ends, else -1."""
    cdef Py_ssize_t k, r
    cdef Py_ssize_t end = _imperative_at(text, n, q, words)
    if end >= 0:
        return end
    if q + 7 > n:
        return -1
    for k in range(6):
        if _ascii_lower(PyUnicode_READ_CHAR(text, q + k)) != PyUnicode_READ_CHAR(u"please", k):
            return -1
    r = q + 6
    if not Py_UNICODE_ISSPACE(PyUnicode_READ_CHAR(text, r)):
        return -1
    while r < n and Py_UNICODE_ISSPACE(PyUnicode_READ_CHAR(text, r)):
        r += 1
    return _imperative_at(text, n, r, words)


def count_imperatives(str text, tuple words):
    """``len(features._IMPERATIVE.findall(text))`` (the pattern is the reference): a request
    at the note's start or after a mark and spaces, for a text of one-byte characters; -1 for
    any other text, whose case-blind matching the pattern's rules decide."""
    if PyUnicode_KIND(text) != PyUnicode_1BYTE_KIND:
        return -1
    cdef Py_ssize_t n = PyUnicode_GET_LENGTH(text), i = 0, q, end, count = 0
    cdef const unsigned char* data = <const unsigned char*>PyUnicode_DATA(text)  # one byte a char
    end = _request_at(text, n, 0, words)
    if end >= 0:
        count, i = 1, end
    while i < n:
        if not _is_mark(data[i]):
            i += 1
            continue
        q = i + 1
        while q < n and Py_UNICODE_ISSPACE(data[q]):
            q += 1
        end = _request_at(text, n, q, words)
        if end >= 0:
            count += 1
            i = end
        else:
            i += 1
    return count


cdef class ClassIndex:
    """One note's word-class starts in C arrays, for the features of each of its mentions.

    ``names[k]`` holds class ``k``'s five feature names: before_near, before, after_near,
    after, clause (``features._class_features`` is the reference).
    """

    cdef Py_ssize_t* starts
    cdef Py_ssize_t* firsts  # class k's starts: starts[firsts[k]:firsts[k + 1]]
    cdef int n_classes
    cdef tuple names

    def __cinit__(self, list per_class, tuple names):
        cdef Py_ssize_t total = 0, k, position = 0
        self.n_classes = len(per_class)
        self.names = names
        for starts in per_class:
            total += len(starts)
        self.starts = <Py_ssize_t*>malloc((total or 1) * sizeof(Py_ssize_t))
        self.firsts = <Py_ssize_t*>malloc((self.n_classes + 1) * sizeof(Py_ssize_t))
        if self.starts == NULL or self.firsts == NULL:
            raise MemoryError()
        for k in range(self.n_classes):
            self.firsts[k] = position
            for value in per_class[k]:
                self.starts[position] = value
                position += 1
        self.firsts[self.n_classes] = position

    def __dealloc__(self):
        free(self.starts)
        free(self.firsts)

    cdef bint _any(self, int k, Py_ssize_t begin, Py_ssize_t end) noexcept:
        """Whether class ``k`` has a start in ``[begin, end)``."""
        cdef Py_ssize_t low = self.firsts[k], high = self.firsts[k + 1], middle
        cdef Py_ssize_t stop = high
        while low < high:
            middle = (low + high) >> 1
            if self.starts[middle] < begin:
                low = middle + 1
            else:
                high = middle
        return low < stop and self.starts[low] < end

    def any_in(self, int k, Py_ssize_t begin, Py_ssize_t end):
        return self._any(k, begin, end)

    def add_mention_features(self, dict features, Py_ssize_t start, Py_ssize_t end,
                             Py_ssize_t sentence_start, Py_ssize_t sentence_end,
                             Py_ssize_t clause_start, Py_ssize_t clause_end,
                             Py_ssize_t near):
        """Adds the word classes before and after a term: next to it, in its clause, in its
        sentence."""
        self._add(features, start, end, sentence_start, sentence_end, clause_start, clause_end,
                  near)

    cdef void _add(self, dict features, Py_ssize_t start, Py_ssize_t end,
                   Py_ssize_t sentence_start, Py_ssize_t sentence_end, Py_ssize_t clause_start,
                   Py_ssize_t clause_end, Py_ssize_t near) except *:
        cdef int k
        cdef Py_ssize_t lower = start - near if start - near > sentence_start else sentence_start
        cdef Py_ssize_t upper = end + near if end + near < sentence_end else sentence_end
        cdef tuple names
        for k in range(self.n_classes):
            if self.firsts[k] == self.firsts[k + 1]:
                continue
            names = <tuple>self.names[k]
            if self._any(k, lower, start):
                features[names[0]] = 1.0
            if self._any(k, sentence_start, start):
                features[names[1]] = 1.0
            if self._any(k, end, upper):
                features[names[2]] = 1.0
            if self._any(k, end, sentence_end):
                features[names[3]] = 1.0
            if self._any(k, clause_start, clause_end):
                features[names[4]] = 1.0


# ------------------------------------------------------------------------------ features

cdef inline Py_ssize_t _bucket(Py_ssize_t count, tuple edges) except -1:
    """The index of the first edge ``count`` is at most, else ``len(edges)``."""
    cdef Py_ssize_t i, n = len(edges)
    for i in range(n):
        if count <= <Py_ssize_t>edges[i]:
            return i
    return n


cdef Py_ssize_t _left(list values, Py_ssize_t x) except -1:
    """``bisect.bisect_left(values, x)`` over a list of ints."""
    cdef Py_ssize_t low = 0, high = len(values), middle
    while low < high:
        middle = (low + high) >> 1
        if <Py_ssize_t>values[middle] < x:
            low = middle + 1
        else:
            high = middle
    return low


cdef Py_ssize_t _right(list values, Py_ssize_t x) except -1:
    """``bisect.bisect_right(values, x)`` over a list of ints."""
    cdef Py_ssize_t low = 0, high = len(values), middle
    while low < high:
        middle = (low + high) >> 1
        if x < <Py_ssize_t>values[middle]:
            high = middle
        else:
            low = middle + 1
    return low


#: A distance in each of ``_distance_bucket``'s buckets, in order.
cdef tuple _BUCKET_DISTANCES = (0, 2, 4, 7)


cdef inline int _distance_bucket(Py_ssize_t distance) noexcept:
    # features.distance_bucket: 0-1, 2-3, 4-6, 7+
    if distance <= 1:
        return 0
    if distance <= 3:
        return 1
    if distance <= 6:
        return 2
    return 3


cdef class FeatureMaker:
    """The features of every mention of a note, as ``features.note_features`` makes them in
    Python (the reference: a test compares both on every sample note and under hypothesis),
    with the note's facts in C ints and every name taken from a table made once, so a mention
    costs dictionary stores, not string formatting.

    ``names`` is the table ``features._feature_maker`` makes: names made once, and the
    Python functions that define the rest (a cue's names, an equipment kind's names, the
    timeline features), asked once per distinct key or only for notes with a timeline, so each
    name format exists once. ``cue_word_name`` names a cue's written words
    (``features._cue_word_name``), asked once per distinct cue text.
    """

    cdef dict names
    cdef tuple class_names, shapes, later_classes, imperatives
    cdef tuple words_edges, mentions_edges, categories_edges, clause_edges
    cdef tuple words_names, mentions_names, categories_names, clause_names
    cdef dict context_rank, sentence_cue_names
    cdef object cue_word_name, cue_names, equipment_names, later_by_category, add_timeline
    cdef dict cue_words
    cdef Py_ssize_t near, reach

    def __init__(self, dict names, object cue_word_name):
        self.names = names
        self.class_names = names["classes"]
        self.shapes = names["shapes"]
        self.later_classes = names["later"]
        self.imperatives = names["imperatives"]
        self.words_edges, self.words_names = names["note_words"]
        self.mentions_edges, self.mentions_names = names["note_mentions"]
        self.categories_edges, self.categories_names = names["note_categories"]
        self.clause_edges, self.clause_names = names["clause_words"]
        self.context_rank = names["context_rank"]
        self.sentence_cue_names = names["sentence_cue"]
        self.cue_names = names["cue_names"]
        self.equipment_names = names["equipment_names"]
        self.later_by_category = names["later_by_category"]
        self.add_timeline = names["timeline"]
        self.near = names["near"]
        self.reach = names["reach"]
        self.cue_word_name = cue_word_name
        self.cue_words = {}

    cdef str _name(self, str family, object key):
        """The name of ``key``'s feature in ``family`` (made on first sight of the key)."""
        cdef dict table = <dict>self.names[family]
        found = table.get(key)
        if found is None:
            found = table[key] = f"{family}={key}"
        return <str>found

    def note(self, str text, object findings, list class_starts, Py_ssize_t words,
             Py_ssize_t imperatives):
        """The features of each of ``findings.mentions``, in order."""
        cdef tuple mentions = findings.mentions
        cdef Py_ssize_t n = len(mentions), i, count, start, end, sentence_start
        cdef Py_ssize_t sentence_end, clause_start, clause_end, a, b, gap
        cdef Py_ssize_t n_entries
        cdef int k, density
        cdef dict shared, features, categories = {}, categories_at = {}, regions = {}
        cdef dict here, sentences = {}, clauses = {}, spans = {}
        cdef list entries, entry_of, equipment = [], equipment_starts = [], cue_starts
        cdef list vulnerable_starts, out = [], region
        cdef tuple names
        cdef ClassIndex index
        if n == 0:
            return out
        index = ClassIndex(class_starts, self.class_names)
        for mention in mentions:
            category = mention.category
            categories[category] = categories.get(category, 0) + 1
            sentence_start = mention.sentence_start
            here = categories_at.get(sentence_start)
            if here is None:
                here = categories_at[sentence_start] = {}
            here[category] = here.get(category, 0) + 1
            region = regions.get(category)
            if region is None:
                region = regions[category] = []
            region.append((sentence_start, mention.sentence_end))
        entries = list(findings.timeline)
        n_entries = len(entries)
        entry_of = [_right(entries, mention.start) - 1 for mention in mentions]
        shared = {
            self.words_names[_bucket(words, self.words_edges)]: 1.0,
            self.mentions_names[_bucket(n, self.mentions_edges)]: 1.0,
            self.categories_names[_bucket(len(categories), self.categories_edges)]: 1.0,
        }
        for shape in self.shapes:
            k = shape[0]
            count = len(<list>class_starts[k])
            if count == 0:
                density = 0
            else:
                density = 2 if count * 100 >= 3 * (words if words > 1 else 1) else 1
            shared[(<tuple>shape[1])[density]] = 1.0
        shared[self.imperatives[imperatives if imperatives < 3 else 3]] = 1.0
        if n_entries:
            shared["note_has_timeline"] = 1.0
        vulnerabilities = findings.vulnerabilities
        for found in vulnerabilities:
            shared[self._name("vuln_note", found.group)] = 1.0
        cues = findings.cues
        for cue in cues:
            shared[self._name("note_cue", cue.kind)] = 1.0
        for found in findings.equipment:
            start, end, category = found.start, found.end, found.category
            equipment.append((start, end, found.kind, category))
            equipment_starts.append(start)
            region = regions.get(category)
            if region is None:
                region = regions[category] = []
            region.append((start - self.reach if start > self.reach else 0, end + self.reach))
        for region in regions.values():
            region.sort()
        later = self.later_by_category(mentions, entry_of) if n_entries else None
        cue_starts = [cue.start for cue in cues]
        vulnerable_starts = [found.start for found in vulnerabilities]
        for i in range(n):
            mention = mentions[i]
            start, end = mention.start, mention.end
            sentence_start, sentence_end = mention.sentence_start, mention.sentence_end
            clause_start, clause_end = mention.clause_start, mention.clause_end
            category = mention.category
            features = dict(shared)
            self._add_mention(features, mention)
            index._add(features, start, end, sentence_start, sentence_end, clause_start,
                       clause_end, self.near)
            past, present = "clause:past" in features, "clause:present" in features
            if past != present:
                features["clause_tense=past" if past else "clause_tense=present"] = 1.0
            # Outcome words later in the note, near the same hazard.
            later_regions = [span for span in regions.get(category, ())
                             if <Py_ssize_t>span[0] >= sentence_end]
            if not later_regions:
                features["later_same_category=none"] = 1.0
            else:
                features["later_same_category=some"] = 1.0
                for item in self.later_classes:
                    k = item[0]
                    for span in later_regions:
                        if index._any(k, span[0], span[1]):
                            features[item[1]] = 1.0
                            break
            # Equipment in the mention's sentence and next to it.
            for j in range(_left(equipment_starts, sentence_start),
                           _left(equipment_starts, sentence_end)):
                a, b, kind, other = equipment[j]
                if a < end and start < b:
                    continue  # part of another mention that overlaps this one
                names = self._equipment_names(kind)
                features[names[0]] = 1.0
                features[names[1] if other == category else names[2]] = 1.0
                gap = start - b if b <= start else a - end
                if 0 <= gap <= self.near:
                    features[names[3]] = 1.0
                    features[names[4] if b <= start else names[5]] = 1.0
            # Vulnerability cues and cue kinds in the mention's sentence.
            key = (sentence_start, sentence_end)
            sentence = sentences.get(key)
            if sentence is None:
                sentence = sentences[key] = self._sentence(
                    sentence_start, sentence_end, vulnerabilities, vulnerable_starts, cues,
                    cue_starts)
            for name in sentence[0]:
                features[name] = 1.0
            for kind, (a, b) in (<dict>sentence[1]).items():
                names = <tuple>self.sentence_cue_names[kind]
                if a < start:
                    features[names[0]] = 1.0
                if b >= end:
                    features[names[1]] = 1.0
            # The clause's size and the sentence's shape.
            key = (clause_start, clause_end)
            name = clauses.get(key)
            if name is None:
                name = clauses[key] = self.clause_names[_bucket(
                    _count_words(text, clause_start, clause_end, 30), self.clause_edges)]
            features[name] = 1.0
            key = (sentence_start, sentence_end)
            flags = spans.get(key)
            if flags is None:
                piece = text[sentence_start:sentence_end]
                flags = spans[key] = ("?" in piece, piece.isupper())
            if flags[0]:
                features["sentence_question"] = 1.0
            if flags[1]:
                features["sentence_all_caps"] = 1.0
            if start == clause_start:
                features["clause_starts_with_term"] = 1.0
            if <Py_ssize_t>categories[category] > 1:
                features["category_repeated_in_note"] = 1.0
            if i == 0:
                features["first_mention"] = 1.0
            if i == n - 1:
                features["last_mention"] = 1.0
            for other, count in (<dict>categories_at[sentence_start]).items():
                if count > (1 if other == category else 0):
                    features[self._name("sentence_also", other)] = 1.0
            if n_entries:
                self.add_timeline(features, mention, entry_of[i], n_entries, later)
            out.append(features)
        return out

    cdef void _add_mention(self, dict features, object mention) except *:
        """The term, its category and rule context, and the cues that reach it."""
        cdef tuple cues = mention.cues
        cdef Py_ssize_t distance, negated = -1, concern = -1, best_distance = -1
        cdef Py_ssize_t rank, best_rank = -1
        cdef str term = mention.term
        cdef str context = "present"
        features["bias"] = 1.0
        features[self._name("term_id", mention.term_id)] = 1.0
        features[self._name("category", mention.category)] = 1.0
        if len(term) > 1 and term.isupper():
            features["term_upper"] = 1.0
        for cue in cues:
            kind = cue.kind
            distance = cue.distance
            for name in self._cue_names(kind, cue.position)[_distance_bucket(distance)]:
                features[name] = 1.0
            text = cue.text
            word = self.cue_words.get(text, False)
            if word is False:
                if len(self.cue_words) > 100_000:
                    self.cue_words.clear()
                word = self.cue_words[text] = self.cue_word_name(text)
            if word is not None:
                features[word] = 1.0
            if kind == "negated" and negated < 0:
                negated = distance
            elif kind == "concern" and concern < 0:
                concern = distance
            # types.context_from_cues: the nearest cue that names a context wins.
            found = self.context_rank.get(kind)
            if found is not None:
                rank = found
                if best_distance < 0 or distance < best_distance or (
                        distance == best_distance and rank < best_rank):
                    best_distance, best_rank = distance, rank
                    context = "present" if kind == "concern" else kind
        features[self._name("rule_context", context)] = 1.0
        if cues:
            features[self._name("nearest_cue", (<object>cues[0]).kind)] = 1.0
        else:
            features["no_cues"] = 1.0
        if negated >= 0 and concern >= 0:
            features["negated_and_concern:nearer=negated" if negated <= concern
                     else "negated_and_concern:nearer=concern"] = 1.0
        if not mention.before:
            features["L_edge"] = 1.0
        if not mention.after:
            features["R_edge"] = 1.0

    cdef tuple _cue_names(self, str kind, str position):
        """Per distance bucket, a cue's kind, side and distance feature names."""
        cdef dict table = <dict>self.names["cue"]
        key = (kind, position)
        found = table.get(key)
        if found is None:
            found = table[key] = tuple(self.cue_names(kind, position, distance)
                                       for distance in _BUCKET_DISTANCES)
        return <tuple>found

    cdef tuple _equipment_names(self, str kind):
        cdef dict table = <dict>self.names["equipment"]
        found = table.get(kind)
        if found is None:
            found = table[kind] = self.equipment_names(kind)
        return <tuple>found

    cdef tuple _sentence(self, Py_ssize_t start, Py_ssize_t end, tuple vulnerabilities,
                         list vulnerable_starts, tuple cues, list cue_starts):
        """A sentence's vulnerability feature names, and per cue kind in it the first and
        last cue start."""
        cdef Py_ssize_t j, at
        cdef dict kinds = {}
        names = {self._name("vuln_sentence", (<object>vulnerabilities[j]).group)
                 for j in range(_left(vulnerable_starts, start), _left(vulnerable_starts, end))}
        for j in range(_left(cue_starts, start), _left(cue_starts, end)):
            cue = cues[j]
            kind = cue.kind
            at = cue.start
            span = kinds.get(kind)
            if span is None:
                kinds[kind] = (at, at)
            else:
                kinds[kind] = (min(<Py_ssize_t>span[0], at), max(<Py_ssize_t>span[1], at))
        return (names, kinds)


# ------------------------------------------------------------------------------ model

cdef inline void _sort_columns(int* columns, double* values, Py_ssize_t n) noexcept:
    """Insertion sort of one row's (column, value) pairs by column (rows are short)."""
    cdef Py_ssize_t i, j
    cdef int column
    cdef double value
    for i in range(1, n):
        column, value = columns[i], values[i]
        j = i - 1
        while j >= 0 and columns[j] > column:
            columns[j + 1], values[j + 1] = columns[j], values[j]
            j -= 1
        columns[j + 1], values[j + 1] = column, value


def sparse_rows(list features, dict vocabulary):
    """The rows of feature dicts as ``DictVectorizer.transform`` makes them with sorted
    indices (unknown names dropped): ``(indptr, indices, data)`` as bytes of C ``Py_ssize_t``,
    ``int`` and ``double`` (``model.RiskModel._vectorize`` is the reference)."""
    cdef Py_ssize_t n_rows = len(features), total = 0, position = 0, r, first
    cdef PyObject* found
    for row in features:
        total += len(<dict>row)
    cdef bytearray indptr = bytearray((n_rows + 1) * sizeof(Py_ssize_t))
    cdef bytearray indices = bytearray((total or 1) * sizeof(int))
    cdef bytearray data = bytearray((total or 1) * sizeof(double))
    cdef Py_ssize_t* starts = <Py_ssize_t*><char*>indptr
    cdef int* columns = <int*><char*>indices
    cdef double* values = <double*><char*>data
    starts[0] = 0
    for r in range(n_rows):
        first = position
        for name, value in (<dict>features[r]).items():
            found = PyDict_GetItem(vocabulary, name)
            if found == NULL:
                continue
            columns[position] = <int><object>found
            values[position] = <double>value
            position += 1
        _sort_columns(columns + first, values + first, position - first)
        starts[r + 1] = position
    return (bytes(indptr), bytes(indices[:position * sizeof(int)]),
            bytes(data[:position * sizeof(double)]))


def row_dots(const Py_ssize_t[:] indptr, const int[:] indices, const double[:] data,
             const double[:] weights):
    """Each CSR row's dot product with ``weights``, as bytes of C doubles: summed from 0.0 in
    the row's order, as scipy's ``csr_matrix @ dense`` sums it, so to the last bit the same
    (``RiskModel._risk_probability``' scipy product is the reference)."""
    cdef Py_ssize_t n_rows = indptr.shape[0] - 1, r, k
    cdef double total
    cdef bytearray out = bytearray((n_rows or 1) * sizeof(double))
    cdef double* values = <double*><char*>out
    for r in range(n_rows):
        total = 0.0
        for k in range(indptr[r], indptr[r + 1]):
            total += data[k] * weights[indices[k]]
        values[r] = total
    return bytes(out[:n_rows * sizeof(double)])


def expit(const double[:] x):
    """The logistic function of each value, as bytes of C doubles: ``1 / (1 + exp(-x))`` with
    the C library's ``exp``, the formula of scipy's ``special.expit`` (its reference)."""
    cdef Py_ssize_t n = x.shape[0], i
    cdef bytearray out = bytearray((n or 1) * sizeof(double))
    cdef double* values = <double*><char*>out
    for i in range(n):
        values[i] = 1.0 / (1.0 + exp(-x[i]))
    return bytes(out[:n * sizeof(double)])


def top_contributions(const Py_ssize_t[:] indptr, const int[:] indices, const double[:] data,
                      const double[:] means, const double[:] weights, list names,
                      Py_ssize_t bias_column, const double[:] signs, Py_ssize_t top):
    """Per row, its ``top`` contributions ``(value - mean) x weight`` as (name, contribution),
    largest magnitude first, ties to the lower column, leaving out the bias and, where the
    row's sign is not 0, contributions against it (``RiskModel._explain_rows``' numpy code
    is the reference)."""
    cdef Py_ssize_t n_rows = indptr.shape[0] - 1, r, k, i, j, kept, width = 0
    cdef int column
    cdef double contribution, sign
    for r in range(n_rows):
        if indptr[r + 1] - indptr[r] > width:
            width = indptr[r + 1] - indptr[r]
    cdef int* order_columns = <int*>malloc((width or 1) * sizeof(int))
    cdef double* order_values = <double*>malloc((width or 1) * sizeof(double))
    cdef list out = [], reasons
    if order_columns == NULL or order_values == NULL:
        free(order_columns)
        free(order_values)
        raise MemoryError()
    try:
        for r in range(n_rows):
            sign = signs[r]
            kept = 0
            for k in range(indptr[r], indptr[r + 1]):
                column = indices[k]
                if column == bias_column:
                    continue
                contribution = (data[k] - means[column]) * weights[column]
                if sign != 0.0 and not sign * contribution > 0:
                    continue
                # Insert by magnitude (largest first), then column (lowest first).
                i = kept
                while i > 0 and (
                        fabs(order_values[i - 1]) < fabs(contribution)
                        or (fabs(order_values[i - 1]) == fabs(contribution)
                            and order_columns[i - 1] > column)):
                    order_columns[i], order_values[i] = order_columns[i - 1], order_values[i - 1]
                    i -= 1
                order_columns[i], order_values[i] = column, contribution
                kept += 1
            reasons = []
            for j in range(kept if kept < top else top):
                reasons.append((names[order_columns[j]], order_values[j]))
            out.append(reasons)
    finally:
        free(order_columns)
        free(order_values)
    return out


# ------------------------------------------------------------------------------ findings

cdef inline Py_ssize_t _last_at_or_before(const Py_ssize_t* sorted_values, Py_ssize_t n,
                                          Py_ssize_t value) noexcept nogil:
    # bisect_right(sorted_values[:n], value) - 1
    cdef Py_ssize_t low = 0, high = n, middle
    while low < high:
        middle = (low + high) >> 1
        if value < sorted_values[middle]:
            high = middle
        else:
            low = middle + 1
    return low - 1


cdef class _Spans:
    """Token spans to offsets in the note as written (``Reading.char_span``, with the
    ``OffsetMap`` of ``text.py`` as the reference), over C arrays."""

    cdef Py_ssize_t* positions
    cdef Py_ssize_t* deltas
    cdef Py_ssize_t n_positions
    cdef tuple starts  # the tokens' offsets, read only for the tokens asked about
    cdef tuple ends

    def __cinit__(self, object offsets, object tokens):
        cdef tuple positions = offsets.positions, deltas = offsets.deltas
        cdef Py_ssize_t i
        self.starts, self.ends = tokens.starts, tokens.ends
        self.n_positions = len(positions)
        self.positions = <Py_ssize_t*>malloc((self.n_positions or 1) * sizeof(Py_ssize_t))
        self.deltas = <Py_ssize_t*>malloc((self.n_positions or 1) * sizeof(Py_ssize_t))
        if self.positions == NULL or self.deltas == NULL:
            raise MemoryError()
        for i in range(self.n_positions):
            self.positions[i] = positions[i]
            self.deltas[i] = deltas[i]

    def __dealloc__(self):
        free(self.positions)
        free(self.deltas)

    cdef inline Py_ssize_t start_of(self, Py_ssize_t offset) noexcept:
        return offset + self.deltas[_last_at_or_before(self.positions, self.n_positions, offset)]

    cdef inline Py_ssize_t end_of(self, Py_ssize_t offset) noexcept:
        return self.start_of(offset - 1) + 1 if offset > 0 else 0

    cdef inline Py_ssize_t token_start(self, Py_ssize_t token) noexcept:
        return self.start_of(PyLong_AsSsize_t(PyTuple_GET_ITEM(self.starts, token)))

    cdef inline Py_ssize_t token_end(self, Py_ssize_t token) noexcept:
        return self.end_of(PyLong_AsSsize_t(PyTuple_GET_ITEM(self.ends, token)))


cdef class Records:
    """Makes instances of one frozen, slotted dataclass with its fields in order, as its
    ``__init__`` would (which sets each slot through ``object.__setattr__``), without the
    cost of calling that Python-level ``__init__``. Only for records with no
    ``__post_init__`` (casenotes' ``types``: a test checks each made record equals the one
    ``__init__`` makes)."""

    cdef object kind
    cdef tuple fields
    cdef Py_ssize_t* offsets  # each field's slot in the instance, or NULL: set by name
    cdef Py_ssize_t n_fields

    def __init__(self, object kind):
        import dataclasses

        if hasattr(kind, "__post_init__"):
            raise TypeError(f"{kind.__name__} has a __post_init__; build it with its __init__")
        self.kind = kind
        self.fields = tuple(field.name for field in dataclasses.fields(kind))
        self.n_fields = len(self.fields)
        # A slotted class keeps each field at a fixed offset (a member descriptor of type
        # object): the record is filled there, as the descriptor's setter would fill it.
        descriptors = [getattr(kind, name, None) for name in self.fields]
        if all(type(d).__name__ == "member_descriptor" and d.__objclass__ is kind
               and (<PyMemberDescrObject*>d).d_member.type == T_OBJECT_EX
               for d in descriptors):
            self.offsets = <Py_ssize_t*>malloc((self.n_fields or 1) * sizeof(Py_ssize_t))
            if self.offsets == NULL:
                raise MemoryError()
            for i, d in enumerate(descriptors):
                self.offsets[i] = (<PyMemberDescrObject*>d).d_member.offset

    def __dealloc__(self):
        free(self.offsets)

    @property
    def fills_slots(self):
        """Whether records are filled slot by slot (else through each field's setter)."""
        return self.offsets != NULL

    cdef object make(self, tuple values):
        cdef object made = object.__new__(self.kind)
        cdef Py_ssize_t i
        cdef PyObject** slot
        cdef object value
        if self.offsets == NULL:
            for i in range(self.n_fields):
                PyObject_GenericSetAttr(made, self.fields[i], values[i])
            return made
        for i in range(self.n_fields):
            value = <object>PyTuple_GET_ITEM(values, i)
            slot = <PyObject**>((<char*><PyObject*>made) + self.offsets[i])
            Py_INCREF(value)
            slot[0] = <PyObject*>value  # a new instance's slots are empty
        return made

    def __call__(self, *values):
        return self.make(values)


def context_records(object reading, str original, Records cue_type, Records equipment_type,
                    Records vulnerability_type, dict equipment_category):
    """A reading's vulnerability cues, timeline, cues and equipment as records with offsets
    into the note as written (``NoteReader.findings``' Python branch is the reference)."""
    tokens = reading.tokens
    cdef _Spans spans = _Spans(reading.offsets, tokens)
    cdef Py_ssize_t count = len(tokens.starts), s, e, i
    cdef dict hits = reading.hits
    cdef list vulnerabilities = [], cues = [], equipment = []
    cdef str kind
    cdef unsigned char* inside = NULL
    cdef bint covered
    for hit in hits["vulnerability"]:
        s, e = spans.token_start(hit[0]), spans.token_end(hit[1] - 1)
        vulnerabilities.append(vulnerability_type.make((s, e, original[s:e], hit[3], hit[2])))
    timeline = tuple([spans.token_start(i) for i in reading.entries])
    for hit in reading.cue_hits:
        rule = hit.rule
        kind = rule.kind
        if kind == "terminate" or kind == "pseudo":
            continue
        s, e = spans.token_start(hit.start), spans.token_end(hit.end - 1)
        cues.append(cue_type.make((kind, rule.id, original[s:e], s, e)))
    equipment_hits = hits.get("equipment", ())
    if equipment_hits:
        inside = <unsigned char*>calloc(count or 1, 1)
        if inside == NULL:
            raise MemoryError()
    try:
        if equipment_hits and count:
            for hit in hits["hazards"]:
                for i in range(<Py_ssize_t>hit[0], <Py_ssize_t>hit[1]):
                    inside[i] = 1
        for hit in equipment_hits:
            # Equipment inside a mention is part of it, not context beside it.
            covered = True
            for i in range(<Py_ssize_t>hit[0], <Py_ssize_t>hit[1]):
                if not inside[i]:
                    covered = False
                    break
            if covered:
                continue
            s, e = spans.token_start(hit[0]), spans.token_end(hit[1] - 1)
            equipment.append(equipment_type.make((s, e, original[s:e], hit[3],
                                                  equipment_category[hit[3]], hit[2])))
    finally:
        free(inside)
    return tuple(vulnerabilities), timeline, tuple(cues), tuple(equipment)



cdef inline bint _is_space_token(str lower):
    return (len(lower) > 0 and Py_UNICODE_ISSPACE(lower[0])
            and (len(lower) == 1 or lower.isspace()))


def mention_records(object reading, str note_id, tuple senses, dict terms, object lemma,
                    dict lemma_cache, Records mention_type, Records cue_type,
                    Py_ssize_t window):
    """A reading's hazard mentions as records (``NoteReader._mention`` is the reference):
    offsets into the note as written, the sentence and clause around each, the cues that
    reach it, and up to ``window`` words and lemmas either side within its sentence.
    ``lemma`` is None when the reader does not lemmatise; otherwise it is called for a word
    ``lemma_cache`` does not hold yet (and fills it)."""
    tokens = reading.tokens
    cdef _Spans spans = _Spans(reading.offsets, tokens)
    cdef tuple lowers = tokens.lowers, starts_at = tokens.starts, ends_at = tokens.ends
    cdef str text = tokens.text, original = reading.original
    cdef tuple sentence_starts = reading.sentence_starts
    cdef Py_ssize_t count = PyTuple_GET_SIZE(lowers), n_sentences = len(sentence_starts)
    cdef Py_ssize_t start, end, first, last, after, i, s, e, number
    cdef list mentions = [], before, following, cues
    cdef list hazard_hits = reading.hits["hazards"]
    cdef tuple clauses = reading.clauses, reaches_of = reading.reaches
    if hazard_hits and (n_sentences == 0 or sentence_starts[0] != 0):
        raise ValueError("a reading's sentence starts must begin at token 0 (as segment gives)")
    cdef Py_ssize_t* starts = <Py_ssize_t*>malloc((n_sentences or 1) * sizeof(Py_ssize_t))
    if starts == NULL:
        raise MemoryError()
    try:
        for i in range(n_sentences):
            starts[i] = sentence_starts[i]
        for number in range(len(hazard_hits)):
            hit = hazard_hits[number]
            start, end = hit[0], hit[1]
            term = terms[hit[3]]
            sense = senses[number]
            if sense is None:
                category, hhsrs_hazard = term.category, term.hhsrs_hazard
            else:
                category, hhsrs_hazard = sense
            first = starts[_last_at_or_before(starts, n_sentences, start)]
            after = _last_at_or_before(starts, n_sentences, end - 1) + 1
            last = starts[after] if after < n_sentences else count
            before = []
            i = start - 1
            while i >= first and len(before) < window:
                if not _is_space_token(<str>PyTuple_GET_ITEM(lowers, i)):
                    before.append(i)
                i -= 1
            before.reverse()
            following = []
            i = end
            while i < last and len(following) < window:
                if not _is_space_token(<str>PyTuple_GET_ITEM(lowers, i)):
                    following.append(i)
                i += 1
            cues = []
            for reach in reaches_of[number]:
                cue_hit = reach.hit
                s, e = spans.token_start(cue_hit.start), spans.token_end(cue_hit.end - 1)
                cues.append(cue_type.make((cue_hit.rule.kind, cue_hit.rule.id, original[s:e],
                                           reach.position, reach.distance, s, e)))
            clause = clauses[number]
            s, e = spans.token_start(start), spans.token_end(end - 1)
            mentions.append(mention_type.make((
                note_id, s, e, original[s:e], term.id, category, hhsrs_hazard,
                spans.token_start(first), spans.token_end(last - 1),
                spans.token_start(clause[0]), spans.token_end(<Py_ssize_t>clause[1] - 1),
                tuple(cues),
                tuple([lowers[i] for i in before]), tuple([lowers[i] for i in following]),
                _lemmas(before, lowers, text, starts_at, ends_at, lemma, lemma_cache),
                _lemmas(following, lowers, text, starts_at, ends_at, lemma, lemma_cache))))
    finally:
        free(starts)
    return tuple(mentions)


cdef tuple _lemmas(list indices, tuple lowers, str text, tuple starts_at, tuple ends_at,
                   object lemma, dict cache):
    cdef list out = []
    cdef str lower, word
    cdef Py_ssize_t i, begin, end
    for i in indices:
        lower = <str>PyTuple_GET_ITEM(lowers, i)
        if lemma is None:
            out.append(lower)
            continue
        begin, end = <Py_ssize_t>starts_at[i], <Py_ssize_t>ends_at[i]
        # A word written in lower case is its token text: no new string, its hash made.
        word = lower if _written_as(text, begin, end, lower) else text[begin:end]
        found = cache.get(word)
        out.append(found if found is not None else lemma(word, lower))
    return tuple(out)



def cue_scopes(object tokens, object sentence_starts, list raw_cues, dict rules, list targets,
               Records cue_hit_type, Records reach_type, object is_punct):
    """A note's cue hits as records and, for each target token span, its clause and the cues
    that reach it, nearest first (``NoteReader.reach`` and ``context.cues_reaching`` are the
    reference): clauses split at sentence starts and terminating cues; a cue inside a target
    modifies nothing unless it is that target."""
    cdef tuple lowers = tokens.lowers
    cdef Py_ssize_t count = PyTuple_GET_SIZE(lowers), n_hits = len(raw_cues), n_targets
    cdef Py_ssize_t i, j, start, end, t_start, t_end, c_start, c_end, distance, index
    cdef Py_ssize_t n_clauses
    cdef list hits = [None] * n_hits, clause_list, cut_list, candidates
    cdef unsigned char* covered = NULL
    cdef Py_ssize_t* hit_start = NULL
    cdef Py_ssize_t* hit_end = NULL
    cdef Py_ssize_t* hit_clause = NULL
    cdef Py_ssize_t* clause_starts = NULL
    cdef bint inside
    cdef object rule
    cdef str direction
    for i in range(n_hits):
        raw = raw_cues[i]
        hits[i] = cue_hit_type.make((raw[0], raw[1], rules[raw[3]]))
    cue_hits = tuple(hits)
    n_targets = len(targets)
    if not n_targets:
        return cue_hits, (), ()
    spaces = tokens.spaces
    cuts = {0, count}
    for start in sentence_starts:
        if 0 < start < count:
            cuts.add(start)
    for i in range(n_hits):
        hit = hits[i]
        rule = hit.rule
        if rule.kind != "terminate":
            continue
        start = hit.start
        # A glued hyphen ("e-bike") is a word-internal mark, not a clause break.
        if (hit.end - start == 1 and start > 0 and is_punct(lowers[start])
                and not spaces[start - 1] and not spaces[start]):
            continue
        if 0 < start < count:
            cuts.add(start)
    cut_list = sorted(cuts)
    clause_list = [(cut_list[i], cut_list[i + 1]) for i in range(len(cut_list) - 1)
                   if cut_list[i] < cut_list[i + 1]]
    n_clauses = len(clause_list)
    try:
        covered = <unsigned char*>calloc(count or 1, 1)
        hit_start = <Py_ssize_t*>malloc((n_hits or 1) * sizeof(Py_ssize_t))
        hit_end = <Py_ssize_t*>malloc((n_hits or 1) * sizeof(Py_ssize_t))
        hit_clause = <Py_ssize_t*>malloc((n_hits or 1) * sizeof(Py_ssize_t))
        clause_starts = <Py_ssize_t*>malloc((n_clauses or 1) * sizeof(Py_ssize_t))
        if (covered == NULL or hit_start == NULL or hit_end == NULL or hit_clause == NULL
                or clause_starts == NULL):
            raise MemoryError()
        for i in range(n_clauses):
            clause_starts[i] = clause_list[i][0]
        spans = set()
        for target in targets:
            t_start, t_end = target
            spans.add((t_start, t_end))
            for j in range(t_start, t_end):
                covered[j] = 1
        for i in range(n_hits):
            hit = hits[i]
            start, end = hit.start, hit.end
            hit_start[i], hit_end[i] = start, end
            hit_clause[i] = -1
            inside = False
            for j in range(start, end):
                if covered[j]:
                    inside = True
                    break
            if inside and (start, end) not in spans:
                continue
            hit_clause[i] = _last_at_or_before(clause_starts, n_clauses, start)
        clauses, reaches = [], []
        for target in targets:
            t_start, t_end = target
            index = _last_at_or_before(clause_starts, n_clauses, t_start)
            c_start, c_end = clause_list[index]
            c_end = c_end if c_end > t_end else t_end
            clauses.append((c_start, c_end))
            candidates = []
            for i in range(n_hits):
                if hit_clause[i] != index:
                    continue
                start, end = hit_start[i], hit_end[i]
                if (start == t_start and end == t_end) or start < c_start or end > c_end:
                    continue
                rule = (<object>hits[i]).rule
                direction = rule.direction
                if direction == "none":
                    continue
                if end <= t_start:
                    distance = t_start - end
                    if (direction == "forward" or direction == "both") and distance <= rule.max_scope:
                        candidates.append((distance, start, i, "before"))
                elif start >= t_end:
                    distance = start - t_end
                    if (direction == "backward" or direction == "both") and distance <= rule.max_scope:
                        candidates.append((distance, start, i, "after"))
            candidates.sort()
            reaches.append(tuple([reach_type.make((hits[<Py_ssize_t>c[2]], c[3], c[0]))
                                  for c in candidates]))
        return cue_hits, tuple(clauses), tuple(reaches)
    finally:
        free(covered)
        free(hit_start)
        free(hit_end)
        free(hit_clause)
        free(clause_starts)


# ------------------------------------------------------------------------------ text

cdef inline bint _is_control(Py_UCS4 c) noexcept:
    return c <= 0x08 or 0x0e <= c <= 0x1f or c == 0x7f


cdef inline bint _is_other_space(Py_UCS4 c) noexcept:
    return (c == 0x09 or c == 0xa0 or 0x2000 <= c <= 0x200a or c == 0x202f or c == 0x205f
            or c == 0x3000)


cdef inline bint _is_dropped_or_broken(Py_UCS4 c) noexcept:
    # zero-width marks, line breaks other than \n, lone surrogates
    return (c == 0x200b or c == 0x200c or c == 0x200d or c == 0x2060 or c == 0xfeff
            or c == 0xad or c == 0x0d or c == 0x0b or c == 0x0c or c == 0x2028
            or c == 0x2029 or c == 0x85 or 0xd800 <= c <= 0xdfff)


cdef inline bint _can_repeat_as_mark(Py_UCS4 c) noexcept:
    return not (_isalnum(c) or c == u"_" or Py_UNICODE_ISSPACE(c)
                or _is_control(c) or 0x09 <= c <= 0x0d or _is_dropped_or_broken(c))


def has_control_junk(str text):
    """Whether ``text`` holds a control character that typed text never does (tab, line
    breaks, form feed excepted): ``[\\x00-\\x08\\x0e-\\x1f\\x7f]``, the batch engine's regex, in one
    pass without the regex engine."""
    cdef Py_ssize_t n = len(text), i
    cdef Py_UCS4 c
    cdef int kind = PyUnicode_KIND(text)
    cdef void* data = PyUnicode_DATA(text)
    for i in range(n):
        c = PyUnicode_READ(kind, data, i)
        if c <= 0x08 or 0x0e <= c <= 0x1f or c == 0x7f:
            return True
    return False


cdef unsigned char _LATIN1_CLASS[256]  # for needs_normalising; filled below


cdef void _fill_latin1_classes() noexcept:
    """Each Latin-1 character's part in :func:`needs_normalising`, from the same predicates:
    0 nothing, 1 needs normalising, 2 the plain space, 3 a mark that may repeat."""
    cdef Py_UCS4 c
    for c in range(256):
        if c < 0x80 and (u"a" <= c <= u"z" or u"A" <= c <= u"Z" or u"0" <= c <= u"9"):
            _LATIN1_CLASS[c] = 0
        elif _is_control(c) or _is_other_space(c) or _is_dropped_or_broken(c):
            _LATIN1_CLASS[c] = 1
        elif c == u" ":
            _LATIN1_CLASS[c] = 2
        elif _can_repeat_as_mark(c):
            _LATIN1_CLASS[c] = 3
        else:
            _LATIN1_CLASS[c] = 0


_fill_latin1_classes()


def needs_normalising(str text, Py_ssize_t run):
    """Whether ``text._NEEDS_NORMALISING`` finds anything in ``text`` (it is the reference):
    a control character, a space other than the plain one, a double space, a zero-width mark,
    a line break other than ``\\n``, a lone surrogate, or one mark repeated ``run`` times.
    A text of Latin-1 characters (nearly every note) is read a byte at a time through a table."""
    cdef Py_ssize_t n = len(text), i = 0, j
    cdef Py_UCS4 c, previous = 0
    cdef int kind = PyUnicode_KIND(text)
    cdef void* data = PyUnicode_DATA(text)
    cdef const unsigned char* latin1
    cdef unsigned char part
    if kind == PyUnicode_1BYTE_KIND:
        latin1 = <const unsigned char*>data
        while i < n:
            part = _LATIN1_CLASS[latin1[i]]
            if part == 0:
                previous = latin1[i]
                i += 1
            elif part == 1:
                return True
            elif part == 2:
                if previous == u" ":
                    return True
                previous = u" "
                i += 1
            else:
                j = i + 1
                while j < n and latin1[j] == latin1[i]:
                    j += 1
                if j - i >= run:
                    return True
                previous = latin1[i]
                i = j
        return False
    while i < n:
        c = PyUnicode_READ(kind, data, i)
        if c < 0x80 and (u"a" <= c <= u"z" or u"A" <= c <= u"Z" or u"0" <= c <= u"9"):
            previous = c
            i += 1
            continue
        if _is_control(c) or _is_other_space(c) or _is_dropped_or_broken(c):
            return True
        if c == u" " and previous == u" ":
            return True
        if c != u" " and _can_repeat_as_mark(c):
            j = i + 1
            while j < n and PyUnicode_READ(kind, data, j) == c:
                j += 1
            if j - i >= run:
                return True
            previous = c
            i = j
            continue
        previous = c
        i += 1
    return False
