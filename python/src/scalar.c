/* SPDX-License-Identifier: MIT */
/* scalar.c: typecodes of array/multiprocessing <-> coord_type, Python objects <-> coord_scalar. */
#include "pycoord.h"

#include <limits.h>

/* The typecodes multiprocessing and the array module use, on LP64 Linux
 * ('l'/'L' are 64-bit there). 'c' is a one-byte bytes object (COORD_CHAR,
 * so that an opener reads bytes too), '?' a bool.
 * coord has no 32-bit float, so 'f' is refused rather than widened. */
static const struct {
    char tc;
    coord_type type;
} pc_codes[] = {
    {'b', COORD_I8},  {'B', COORD_U8},  {'h', COORD_I16}, {'H', COORD_U16},
    {'i', COORD_I32}, {'I', COORD_U32}, {'l', COORD_I64}, {'L', COORD_U64},
    {'q', COORD_I64}, {'Q', COORD_U64}, {'d', COORD_F64}, {'?', COORD_BOOL},
    {'c', COORD_CHAR},
};

int pc_scalar_typecode(PyObject *code, coord_type *type, char *tc)
{
    /* A ctypes type (c_int, c_double) stands for its _type_, as the
     * constructors take it (coord._typecode): Value.open(name, c_int)
     * raised the TypeError below, whose text offers a ctypes type. */
    PyObject *own = NULL;
    if (!PyUnicode_Check(code)) {
        own = PyObject_GetAttrString(code, "_type_");
        if (!own)
            PyErr_Clear();
    }
    PyObject *tcode = own && PyUnicode_Check(own) ? own : code;
    if (!PyUnicode_Check(tcode) || PyUnicode_GetLength(tcode) != 1) {
        Py_XDECREF(own);
        PyErr_SetString(PyExc_TypeError,
                        "typecode must be a one-character str such as 'i' or 'd'"
                        " (or a ctypes type)");
        return -1;
    }
    Py_UCS4 c = PyUnicode_ReadChar(tcode, 0);
    Py_XDECREF(own);
    for (size_t i = 0; i < sizeof pc_codes / sizeof pc_codes[0]; i++)
        if ((Py_UCS4)pc_codes[i].tc == c) {
            *type = pc_codes[i].type;
            *tc = pc_codes[i].tc;
            return 0;
        }
    PyErr_Format(PyExc_ValueError,
                 "typecode %R is not supported by coord (use one of "
                 "b B h H i I l L q Q d ? c; there is no 32-bit float)",
                 code);
    return -1;
}

PyObject *pc_scalar_to_py(coord_type type, char tc, coord_scalar s)
{
    switch (type) {
    case COORD_I8:
    case COORD_I16:
    case COORD_I32:
    case COORD_I64:
        return PyLong_FromLongLong(s.i);
    case COORD_U8:
    case COORD_CHAR:
        if (tc == 'c') {
            char ch = (char)s.u;
            return PyBytes_FromStringAndSize(&ch, 1);
        }
        return PyLong_FromUnsignedLongLong(s.u);
    case COORD_U16:
    case COORD_U32:
    case COORD_U64:
        return PyLong_FromUnsignedLongLong(s.u);
    case COORD_F64:
        return PyFloat_FromDouble(s.f);
    case COORD_BOOL:
        return PyBool_FromLong(s.b);
    }
    PyErr_SetString(PyExc_SystemError, "coord: unknown element type");
    return NULL;
}

static int range_error(PyObject *o, char tc)
{
    PyErr_Format(PyExc_OverflowError, "%R does not fit typecode '%c'", o, tc);
    return -1;
}

static int scalar_from_int(coord_type type, char tc, PyObject *o, coord_scalar *s);

int pc_scalar_from_py(coord_type type, char tc, PyObject *o, coord_scalar *s)
{
    s->u = 0;
    if (type == COORD_F64) {
        double d = PyFloat_AsDouble(o);
        if (d == -1.0 && PyErr_Occurred())
            return -1;
        s->f = d;
        return 0;
    }
    if (type == COORD_BOOL) {
        int t = PyObject_IsTrue(o);
        if (t < 0)
            return -1;
        s->b = t != 0;
        return 0;
    }
    if (tc == 'c') {
        /* As ctypes' c_char takes them: one byte of bytes or bytearray,
         * or an int (0..255, the byte's value). */
        if (PyBytes_Check(o) && PyBytes_GET_SIZE(o) == 1) {
            s->u = (unsigned char)PyBytes_AS_STRING(o)[0];
            return 0;
        }
        if (PyByteArray_Check(o) && PyByteArray_GET_SIZE(o) == 1) {
            s->u = (unsigned char)PyByteArray_AS_STRING(o)[0];
            return 0;
        }
        if (PyLong_Check(o))
            return scalar_from_int(COORD_U8, tc, o, s);
        PyErr_Format(PyExc_TypeError,
                     "typecode 'c' takes one byte (bytes or bytearray of length 1, "
                     "or an int 0..255), not %R", o);
        return -1;
    }
    /* Integers are anything with __index__ (numpy's too, as ctypes takes
     * them); a float or a str is refused. */
    if (!PyIndex_Check(o)) {
        PyErr_Format(PyExc_TypeError, "an integer is required for typecode '%c', not %R",
                     tc, o);
        return -1;
    }
    PyObject *n = PyNumber_Index(o);
    if (!n)
        return -1;
    int r = scalar_from_int(type, tc, n, s);
    Py_DECREF(n);
    return r;
}

/* pc_scalar_from_py for the integer types: `o` is an int. */
static int scalar_from_int(coord_type type, char tc, PyObject *o, coord_scalar *s)
{
    if (type == COORD_U8 || type == COORD_CHAR || type == COORD_U16 ||
        type == COORD_U32 || type == COORD_U64) {
        unsigned long long v = PyLong_AsUnsignedLongLong(o);
        if (v == (unsigned long long)-1 && PyErr_Occurred()) {
            if (PyErr_ExceptionMatches(PyExc_OverflowError)) {
                PyErr_Clear();
                return range_error(o, tc);
            }
            return -1;
        }
        unsigned long long max = type == COORD_U8 || type == COORD_CHAR ? UCHAR_MAX
                                 : type == COORD_U16 ? USHRT_MAX
                                 : type == COORD_U32 ? UINT_MAX
                                                     : ULLONG_MAX;
        if (v > max)
            return range_error(o, tc);
        s->u = v;
        return 0;
    }
    int over = 0;
    long long v = PyLong_AsLongLongAndOverflow(o, &over);
    if (v == -1 && PyErr_Occurred())
        return -1;
    long long lo = type == COORD_I8 ? SCHAR_MIN : type == COORD_I16 ? SHRT_MIN
                   : type == COORD_I32 ? INT_MIN : LLONG_MIN;
    long long hi = type == COORD_I8 ? SCHAR_MAX : type == COORD_I16 ? SHRT_MAX
                   : type == COORD_I32 ? INT_MAX : LLONG_MAX;
    if (over || v < lo || v > hi)
        return range_error(o, tc);
    s->i = v;
    return 0;
}

int pc_scalar_open_tc(PyObject *name, PyObject *code, coord_type held,
                      const char *kind, char *tc)
{
    /* The creator's typecode, but for 'l'/'L', which read as 'q'/'Q' do. */
    static const char tcs[] = {0,   'b', 'B', 'h', 'H', 'i',
                               'I', 'q', 'Q', 'd', '?', 'c'};
    *tc = held >= COORD_I8 && held <= COORD_CHAR ? tcs[held] : 0;
    if (code == Py_None)
        return 0;
    coord_type want;
    if (pc_scalar_typecode(code, &want, tc) < 0)
        return -1;
    /* 'c' and 'B' may read each other's bytes: a u8 array a C program
     * made reads as bytes with 'c', a 'c' one as ints with 'B'. */
    bool bytes = (want == COORD_U8 || want == COORD_CHAR) &&
                 (held == COORD_U8 || held == COORD_CHAR);
    if (want != held && !bytes) {
        const char *what = coord_type_name(held); /* NULL once broken */
        if (name == Py_None)
            PyErr_Format(PyExc_TypeError,
                         "the %s passed by descriptor holds %s, not typecode %R",
                         kind, what ? what : "no valid type", code);
        else
            PyErr_Format(PyExc_TypeError,
                         "named %s %R holds %s, not typecode %R", kind, name,
                         what ? what : "no valid type", code);
        return -1;
    }
    return 0;
}

/* Sum wrapping in the type, as coord_value_add does (used while this
 * process holds the lock, where coord_value_add would say EDEADLK). */
coord_scalar pc_scalar_add(coord_type type, coord_scalar a, coord_scalar b)
{
    coord_scalar r;
    r.u = 0;
    switch (type) {
    case COORD_I8:
        r.i = (int8_t)(uint8_t)((uint64_t)a.i + (uint64_t)b.i);
        break;
    case COORD_I16:
        r.i = (int16_t)(uint16_t)((uint64_t)a.i + (uint64_t)b.i);
        break;
    case COORD_I32:
        r.i = (int32_t)(uint32_t)((uint64_t)a.i + (uint64_t)b.i);
        break;
    case COORD_I64:
        r.i = (int64_t)((uint64_t)a.i + (uint64_t)b.i);
        break;
    case COORD_U8:
    case COORD_CHAR:
        r.u = (uint8_t)(a.u + b.u);
        break;
    case COORD_U16:
        r.u = (uint16_t)(a.u + b.u);
        break;
    case COORD_U32:
        r.u = (uint32_t)(a.u + b.u);
        break;
    case COORD_U64:
        r.u = a.u + b.u;
        break;
    case COORD_F64:
        r.f = a.f + b.f;
        break;
    case COORD_BOOL:
        r.b = a.b || b.b;
        break;
    }
    return r;
}

int pc_scalar_equal(coord_type type, coord_scalar a, coord_scalar b)
{
    switch (type) {
    case COORD_F64:
        return a.f == b.f;
    case COORD_BOOL:
        return a.b == b.b;
    case COORD_I8:
    case COORD_I16:
    case COORD_I32:
    case COORD_I64:
        return a.i == b.i;
    default:
        return a.u == b.u;
    }
}
