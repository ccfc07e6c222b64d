/* Compiled decoders: a plan that fills an object's slots from a dict's keys, run without Python bytecode.
 *
 * The models' version views (ceilocompat.models._compiled_decoders) and the envelope's Notification
 * (ceilocompat._envelope._compiled_notification) each hand their plan to a Decoder, with the Python code
 * that stays the reference and the fallback. For a model version, a Decoder holds what the generated Python decoder
 * does for a plain dict (see ceilocompat.models._wiremodel._generate_decoder): per field its key, its
 * slot, the exact classes taken as they are, what a missing key gets, and the deferrable test. Calling it
 * with a dict whose every value takes that fast path gives the object the Python decoder gives; on any
 * other input (not an exact dict, a missing required key, a value to convert or whose coercion
 * raised, a missing deferred key) it does nothing of its own and returns what the Python decoder returns or raises.
 *
 * decode_list(items) decodes a list of dicts at once. The key sequence of the first dict is mapped to the
 * model's fields once; every dict with the same key objects in the same order is then read entry by entry,
 * in order, with no lookup. It gives (decoded, uniform): uniform is True when every item had the first
 * item's key sequence (exact str keys), which is what a consumer's shape count needs to know.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <structmember.h>

/* Fields a decoder takes; larger models keep the Python decoder. */
#define MAX_FIELDS 64

enum missing { MISSING_FALLBACK = 0, MISSING_CONSTANT = 1, MISSING_FACTORY = 2, MISSING_RECEIVED = 3 };

typedef struct {
    PyObject *key;        /* exact str */
    Py_ssize_t offset;    /* of the slot in the object */
    PyObject *fast;       /* tuple of exact classes */
    PyObject *coercions;  /* tuple of (exact class, builtin) pairs */
    int missing;          /* enum missing */
    PyObject *value;      /* the constant or the factory */
    PyObject *deferrable; /* callable or NULL */
} Field;

typedef struct {
    Py_ssize_t offset;
    int missing; /* MISSING_CONSTANT, MISSING_FACTORY or MISSING_RECEIVED (the received dict) */
    PyObject *value;
} Tail;

typedef struct {
    PyObject_HEAD
    PyObject *cls;
    PyObject *fallback;
    PyObject *unread;
    PyObject *index; /* dict: key -> field number */
    PyObject *dict;  /* instance attributes (__doc__, __source__) */
    vectorcallfunc vectorcall;
    Py_ssize_t nfields, ntail;
    Field *fields;
    Tail *tail;
} Decoder;

static PyObject *empty_tuple;

static int
slot_offset(PyObject *cls, PyObject *slot, Py_ssize_t *offset)
{
    if (!Py_IS_TYPE(slot, &PyMemberDescr_Type)) {
        PyErr_SetString(PyExc_TypeError, "a decoder's slots must be member descriptors");
        return -1;
    }
    PyMemberDescrObject *member = (PyMemberDescrObject *)slot;
    if (member->d_member->type != T_OBJECT_EX || (member->d_member->flags & READONLY)
            || !PyType_IsSubtype((PyTypeObject *)cls, PyDescr_TYPE(member))) {
        PyErr_SetString(PyExc_TypeError, "a decoder's slots must be writable object slots of the model");
        return -1;
    }
    *offset = member->d_member->offset;
    return 0;
}

static void
store(PyObject *obj, Py_ssize_t offset, PyObject *value)
{
    PyObject **address = (PyObject **)((char *)obj + offset);
    PyObject *old = *address;
    Py_INCREF(value);
    *address = value;
    Py_XDECREF(old);
}

static int
is_fast(PyObject *fast, PyObject *value)
{
    PyTypeObject *type = Py_TYPE(value);
    Py_ssize_t count = PyTuple_GET_SIZE(fast);
    for (Py_ssize_t i = 0; i < count; i++) {
        if ((PyObject *)type == PyTuple_GET_ITEM(fast, i)) {
            return 1;
        }
    }
    return 0;
}

/* builtin(value) for the coercion whose class is value's exact class; NULL without an exception when none
 * applies or the builtin raised an Exception (the Python decoder then converts), with one for anything else. */
static PyObject *
coerce(PyObject *coercions, PyObject *value)
{
    Py_ssize_t count = PyTuple_GET_SIZE(coercions);
    for (Py_ssize_t i = 0; i < count; i++) {
        PyObject *pair = PyTuple_GET_ITEM(coercions, i);
        if ((PyObject *)Py_TYPE(value) == PyTuple_GET_ITEM(pair, 0)) {
            PyObject *coerced = PyObject_CallOneArg(PyTuple_GET_ITEM(pair, 1), value);
            if (coerced == NULL && PyErr_ExceptionMatches(PyExc_Exception)) {
                PyErr_Clear();
            }
            return coerced;
        }
    }
    return NULL;
}

/* A model object from the values found for each field (NULL: missing), or NULL: with an exception set when
 * one was raised, without one when the fast path does not apply. */
static PyObject *
build(Decoder *self, PyObject *d, PyObject **values)
{
    PyObject *obj = PyBaseObject_Type.tp_new((PyTypeObject *)self->cls, empty_tuple, NULL);
    if (obj == NULL) {
        return NULL;
    }
    for (Py_ssize_t i = 0; i < self->nfields; i++) {
        Field *f = &self->fields[i];
        PyObject *v = values[i];
        if (v == NULL) {
            if (f->missing == MISSING_CONSTANT && f->deferrable == NULL) {
                store(obj, f->offset, f->value);
                continue;
            }
            if (f->missing == MISSING_FACTORY && f->deferrable == NULL) {
                PyObject *made = PyObject_CallNoArgs(f->value);
                if (made == NULL) {
                    goto abandon;
                }
                store(obj, f->offset, made);
                Py_DECREF(made);
                continue;
            }
            goto abandon;
        }
        if (f->deferrable != NULL) {
            PyObject *answer = PyObject_CallOneArg(f->deferrable, v);
            if (answer == NULL) {
                goto abandon;
            }
            int yes = PyObject_IsTrue(answer);
            Py_DECREF(answer);
            if (yes < 0) {
                goto abandon;
            }
            if (yes) {
                store(obj, f->offset, self->unread);
                continue;
            }
        }
        if (is_fast(f->fast, v)) {
            store(obj, f->offset, v);
            continue;
        }
        PyObject *coerced = coerce(f->coercions, v);
        if (coerced == NULL) {
            goto abandon;
        }
        store(obj, f->offset, coerced);
        Py_DECREF(coerced);
    }
    for (Py_ssize_t i = 0; i < self->ntail; i++) {
        Tail *t = &self->tail[i];
        if (t->missing == MISSING_RECEIVED) {
            store(obj, t->offset, d);
        }
        else if (t->missing == MISSING_FACTORY) {
            PyObject *made = PyObject_CallNoArgs(t->value);
            if (made == NULL) {
                goto abandon;
            }
            store(obj, t->offset, made);
            Py_DECREF(made);
        }
        else {
            store(obj, t->offset, t->value);
        }
    }
    return obj;
abandon: /* with an exception set when one was raised, without one when the fast path does not apply */
    Py_DECREF(obj);
    return NULL;
}

static PyObject *
decode_one(Decoder *self, PyObject *d)
{
    if (PyDict_CheckExact(d)) {
        PyObject *values[MAX_FIELDS];
        for (Py_ssize_t i = 0; i < self->nfields; i++) {
            values[i] = PyDict_GetItemWithError(d, self->fields[i].key);
            if (values[i] == NULL && PyErr_Occurred()) {
                return NULL;
            }
        }
        /* Hold the values: a deferrable test or a factory is Python code, which could change the dict. */
        for (Py_ssize_t i = 0; i < self->nfields; i++) {
            Py_XINCREF(values[i]);
        }
        PyObject *obj = build(self, d, values);
        for (Py_ssize_t i = 0; i < self->nfields; i++) {
            Py_XDECREF(values[i]);
        }
        if (obj != NULL || PyErr_Occurred()) {
            return obj;
        }
    }
    return PyObject_CallOneArg(self->fallback, d);
}

static PyObject *
decoder_vectorcall(PyObject *callable, PyObject *const *args, size_t nargsf, PyObject *kwnames)
{
    if (PyVectorcall_NARGS(nargsf) != 1 || (kwnames != NULL && PyTuple_GET_SIZE(kwnames) != 0)) {
        PyErr_SetString(PyExc_TypeError, "a decoder takes one argument, the wire dict");
        return NULL;
    }
    return decode_one((Decoder *)callable, args[0]);
}

static void
release_keys(PyObject **keys, Py_ssize_t count)
{
    if (keys != NULL) {
        for (Py_ssize_t i = 0; i < count; i++) {
            Py_DECREF(keys[i]);
        }
        PyMem_Free(keys);
    }
}

/* The field number of each key of *first*, in order (-1: not a field), or NULL without an exception when
 * a key is not an exact str (no shape is planned then). */
static Py_ssize_t *
plan_shape(Decoder *self, PyObject *first, PyObject ***keys_out)
{
    Py_ssize_t width = PyDict_GET_SIZE(first);
    Py_ssize_t *numbers = PyMem_New(Py_ssize_t, width ? width : 1);
    PyObject **keys = PyMem_New(PyObject *, width ? width : 1);
    if (numbers == NULL || keys == NULL) {
        PyMem_Free(numbers);
        PyMem_Free(keys);
        PyErr_NoMemory();
        return NULL;
    }
    Py_ssize_t position = 0, n = 0;
    PyObject *key, *value;
    while (PyDict_Next(first, &position, &key, &value)) {
        PyObject *number = PyUnicode_CheckExact(key) ? PyDict_GetItemWithError(self->index, key) : NULL;
        if (!PyUnicode_CheckExact(key) || (number == NULL && PyErr_Occurred())) {
            release_keys(keys, n);
            PyMem_Free(numbers);
            return NULL;
        }
        numbers[n] = number == NULL ? -1 : PyLong_AsSsize_t(number);
        keys[n++] = Py_NewRef(key); /* held: Python code run while decoding could change the first dict */
    }
    *keys_out = keys;
    return numbers;
}

/* Read *d* entry by entry against the planned shape into *values* (new references); 0 when its keys are
 * not the shape's, 1 when read. */
static int
read_by_shape(Decoder *self, PyObject *d, Py_ssize_t width, PyObject **keys, Py_ssize_t *numbers,
              PyObject **values)
{
    if (!PyDict_CheckExact(d) || PyDict_GET_SIZE(d) != width) {
        return 0;
    }
    for (Py_ssize_t i = 0; i < self->nfields; i++) {
        values[i] = NULL;
    }
    Py_ssize_t position = 0, n = 0;
    PyObject *key, *value;
    while (PyDict_Next(d, &position, &key, &value)) {
        PyObject *expected = keys[n];
        if (key != expected && !(PyUnicode_CheckExact(key) && PyUnicode_Compare(key, expected) == 0)) {
            return 0;
        }
        if (numbers[n] >= 0) {
            values[numbers[n]] = value;
        }
        n++;
    }
    for (Py_ssize_t i = 0; i < self->nfields; i++) {
        Py_XINCREF(values[i]);
    }
    return 1;
}

/* decode_list of a list of one item: (decoded, uniform), uniform when the item is a dict of exact str keys. */
static PyObject *
decode_single(Decoder *self, PyObject *item)
{
    Py_INCREF(item); /* the list may change while Python code runs */
    int uniform = PyDict_CheckExact(item);
    if (uniform) {
        Py_ssize_t position = 0;
        PyObject *key, *value;
        while (uniform && PyDict_Next(item, &position, &key, &value)) {
            uniform = PyUnicode_CheckExact(key);
        }
    }
    PyObject *obj = decode_one(self, item), *result = NULL;
    Py_DECREF(item);
    if (obj != NULL) {
        PyObject *decoded = PyList_New(1);
        if (decoded != NULL) {
            PyList_SET_ITEM(decoded, 0, Py_NewRef(obj));
            result = PyTuple_Pack(2, decoded, uniform ? Py_True : Py_False);
            Py_DECREF(decoded);
        }
        Py_DECREF(obj);
    }
    return result;
}

static PyObject *
decode_list(Decoder *self, PyObject *items)
{
    if (!PyList_CheckExact(items)) {
        PyErr_SetString(PyExc_TypeError, "decode_list takes a list");
        return NULL;
    }
    if (PyList_GET_SIZE(items) == 1) { /* nothing to share: decoded as a call would, its keys checked */
        return decode_single(self, PyList_GET_ITEM(items, 0));
    }
    /* The list is held, and read by index each time: Python code run by a test or a factory may change it. */
    Py_INCREF(items);
    PyObject *decoded = PyList_New(0), *first = NULL, **keys = NULL, *result = NULL;
    Py_ssize_t *numbers = NULL, width = 0;
    int uniform = 1;
    if (decoded == NULL) {
        goto done;
    }
    if (PyList_GET_SIZE(items) > 0 && PyDict_CheckExact(PyList_GET_ITEM(items, 0))) {
        first = PyList_GET_ITEM(items, 0);
        Py_INCREF(first); /* its keys are the shape's */
        width = PyDict_GET_SIZE(first);
        numbers = plan_shape(self, first, &keys);
        if (numbers == NULL && PyErr_Occurred()) {
            goto done;
        }
    }
    for (Py_ssize_t i = 0; i < PyList_GET_SIZE(items); i++) {
        PyObject *d = PyList_GET_ITEM(items, i);
        Py_INCREF(d);
        PyObject *values[MAX_FIELDS], *obj = NULL;
        if (numbers != NULL && read_by_shape(self, d, width, keys, numbers, values)) {
            obj = build(self, d, values);
            for (Py_ssize_t j = 0; j < self->nfields; j++) {
                Py_XDECREF(values[j]);
            }
            if (obj == NULL && !PyErr_Occurred()) {
                obj = PyObject_CallOneArg(self->fallback, d);
            }
        }
        else {
            uniform = 0;
            obj = decode_one(self, d);
        }
        Py_DECREF(d);
        if (obj == NULL || PyList_Append(decoded, obj) < 0) {
            Py_XDECREF(obj);
            goto done;
        }
        Py_DECREF(obj);
    }
    if (numbers == NULL) {
        uniform = PyList_GET_SIZE(items) == 0;
    }
    result = Py_BuildValue("(OO)", decoded, uniform ? Py_True : Py_False);
done:
    release_keys(keys, numbers == NULL ? 0 : width);
    PyMem_Free(numbers);
    Py_XDECREF(first);
    Py_XDECREF(decoded);
    Py_DECREF(items);
    return result;
}

static void
clear_plan(Decoder *self)
{
    if (self->fields != NULL) {
        for (Py_ssize_t i = 0; i < self->nfields; i++) {
            Py_XDECREF(self->fields[i].key);
            Py_XDECREF(self->fields[i].fast);
            Py_XDECREF(self->fields[i].coercions);
            Py_XDECREF(self->fields[i].value);
            Py_XDECREF(self->fields[i].deferrable);
        }
        PyMem_Free(self->fields);
        self->fields = NULL;
    }
    if (self->tail != NULL) {
        for (Py_ssize_t i = 0; i < self->ntail; i++) {
            Py_XDECREF(self->tail[i].value);
        }
        PyMem_Free(self->tail);
        self->tail = NULL;
    }
    self->nfields = self->ntail = 0;
}

static int
check_missing(int missing, int allowed_received)
{
    if (missing < MISSING_FALLBACK || missing > MISSING_RECEIVED || (missing == MISSING_RECEIVED && !allowed_received)) {
        PyErr_SetString(PyExc_ValueError, "unknown missing-key code");
        return -1;
    }
    return 0;
}

/* Decoder(cls, fields, tail, fallback, unread)
 *   fields: tuple of (key, slot, fast classes, coercions, missing code, value, deferrable or None)
 *   tail:   tuple of (slot, missing code, value), stored after the fields (newer fields' defaults, the
 *           received dict, the version decoded at). */
static int
decoder_init(Decoder *self, PyObject *args, PyObject *kwargs)
{
    PyObject *cls, *fields, *tail, *fallback, *unread;
    if (kwargs != NULL && PyDict_GET_SIZE(kwargs) != 0) {
        PyErr_SetString(PyExc_TypeError, "Decoder takes no keyword arguments");
        return -1;
    }
    if (!PyArg_ParseTuple(args, "O!O!O!OO", &PyType_Type, &cls, &PyTuple_Type, &fields, &PyTuple_Type, &tail,
                          &fallback, &unread)) {
        return -1;
    }
    if (PyTuple_GET_SIZE(fields) > MAX_FIELDS) {
        PyErr_Format(PyExc_ValueError, "a compiled decoder takes at most %d fields", MAX_FIELDS);
        return -1;
    }
    clear_plan(self);
    Py_XSETREF(self->index, PyDict_New());
    if (self->index == NULL) {
        return -1;
    }
    self->fields = PyMem_New(Field, PyTuple_GET_SIZE(fields) ? PyTuple_GET_SIZE(fields) : 1);
    self->tail = PyMem_New(Tail, PyTuple_GET_SIZE(tail) ? PyTuple_GET_SIZE(tail) : 1);
    if (self->fields == NULL || self->tail == NULL) {
        PyErr_NoMemory();
        return -1;
    }
    for (Py_ssize_t i = 0; i < PyTuple_GET_SIZE(fields); i++) {
        PyObject *key, *slot, *fast, *coercions, *value, *deferrable;
        int missing;
        if (!PyArg_ParseTuple(PyTuple_GET_ITEM(fields, i), "UOO!O!iOO;a field is (key, slot, fast, coercions, "
                              "missing, value, deferrable)", &key, &slot, &PyTuple_Type, &fast, &PyTuple_Type,
                              &coercions, &missing, &value, &deferrable)) {
            return -1;
        }
        for (Py_ssize_t j = 0; j < PyTuple_GET_SIZE(coercions); j++) {
            PyObject *pair = PyTuple_GET_ITEM(coercions, j);
            if (!PyTuple_Check(pair) || PyTuple_GET_SIZE(pair) != 2) {
                PyErr_SetString(PyExc_TypeError, "a coercion is an (exact class, builtin) pair");
                return -1;
            }
        }
        if (!PyUnicode_CheckExact(key)) {
            PyErr_SetString(PyExc_TypeError, "a field's key must be an exact str");
            return -1;
        }
        Field *f = &self->fields[i];
        if (slot_offset(cls, slot, &f->offset) < 0 || check_missing(missing, 0) < 0) {
            return -1;
        }
        f->key = Py_NewRef(key);
        f->fast = Py_NewRef(fast);
        f->coercions = Py_NewRef(coercions);
        f->missing = missing;
        f->value = Py_NewRef(value);
        f->deferrable = deferrable == Py_None ? NULL : Py_NewRef(deferrable);
        self->nfields = i + 1;
        PyObject *number = PyLong_FromSsize_t(i);
        if (number == NULL || PyDict_SetItem(self->index, key, number) < 0) {
            Py_XDECREF(number);
            return -1;
        }
        Py_DECREF(number);
    }
    for (Py_ssize_t i = 0; i < PyTuple_GET_SIZE(tail); i++) {
        PyObject *slot, *value;
        int missing;
        if (!PyArg_ParseTuple(PyTuple_GET_ITEM(tail, i), "OiO;a tail entry is (slot, missing, value)", &slot,
                              &missing, &value)) {
            return -1;
        }
        Tail *t = &self->tail[i];
        if (slot_offset(cls, slot, &t->offset) < 0 || check_missing(missing, 1) < 0
                || missing == MISSING_FALLBACK) {
            if (!PyErr_Occurred()) {
                PyErr_SetString(PyExc_ValueError, "a tail entry cannot fall back");
            }
            return -1;
        }
        t->missing = missing;
        t->value = Py_NewRef(value);
        self->ntail = i + 1;
    }
    Py_XSETREF(self->cls, Py_NewRef(cls));
    Py_XSETREF(self->fallback, Py_NewRef(fallback));
    Py_XSETREF(self->unread, Py_NewRef(unread));
    return 0;
}

static PyObject *
decoder_new(PyTypeObject *type, PyObject *args, PyObject *kwargs)
{
    Decoder *self = (Decoder *)type->tp_alloc(type, 0);
    if (self != NULL) {
        self->vectorcall = decoder_vectorcall;
    }
    return (PyObject *)self;
}

static int
decoder_traverse(Decoder *self, visitproc visit, void *arg)
{
    Py_VISIT(self->cls);
    Py_VISIT(self->fallback);
    Py_VISIT(self->unread);
    Py_VISIT(self->index);
    Py_VISIT(self->dict);
    for (Py_ssize_t i = 0; i < self->nfields; i++) {
        Py_VISIT(self->fields[i].coercions);
        Py_VISIT(self->fields[i].value);
        Py_VISIT(self->fields[i].deferrable);
    }
    for (Py_ssize_t i = 0; i < self->ntail; i++) {
        Py_VISIT(self->tail[i].value);
    }
    return 0;
}

static int
decoder_clear(Decoder *self)
{
    Py_CLEAR(self->cls);
    Py_CLEAR(self->fallback);
    Py_CLEAR(self->unread);
    Py_CLEAR(self->index);
    Py_CLEAR(self->dict);
    clear_plan(self);
    return 0;
}

static void
decoder_dealloc(Decoder *self)
{
    PyObject_GC_UnTrack(self);
    decoder_clear(self);
    Py_TYPE(self)->tp_free((PyObject *)self);
}

static PyObject *
decoder_get_fallback(Decoder *self, void *closure)
{
    return Py_NewRef(self->fallback ? self->fallback : Py_None);
}

static PyMethodDef decoder_methods[] = {
    {"decode_list", (PyCFunction)decode_list, METH_O,
     "decode_list(items) -> (decoded, uniform): each item decoded as a call would; uniform is True when every "
     "item had the first item's key sequence."},
    {NULL, NULL, 0, NULL},
};

static PyGetSetDef decoder_getset[] = {
    {"fallback", (getter)decoder_get_fallback, NULL, "the Python decoder this one falls back to", NULL},
    {"__dict__", PyObject_GenericGetDict, PyObject_GenericSetDict, NULL, NULL},
    {NULL, NULL, NULL, NULL, NULL},
};

static PyMemberDef decoder_members[] = {
    {"__vectorcalloffset__", T_PYSSIZET, offsetof(Decoder, vectorcall), READONLY, NULL},
    {"__dictoffset__", T_PYSSIZET, offsetof(Decoder, dict), READONLY, NULL},
    {NULL, 0, 0, 0, NULL},
};

static PyTypeObject DecoderType = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "ceilocompat._decoder_accel.Decoder",
    .tp_doc = "Decoder(cls, fields, tail, fallback, unread): a dict-to-slots decoder, compiled.",
    .tp_basicsize = sizeof(Decoder),
    .tp_flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_HAVE_GC | Py_TPFLAGS_HAVE_VECTORCALL,
    .tp_new = decoder_new,
    .tp_init = (initproc)decoder_init,
    .tp_dealloc = (destructor)decoder_dealloc,
    .tp_traverse = (traverseproc)decoder_traverse,
    .tp_clear = (inquiry)decoder_clear,
    .tp_call = PyVectorcall_Call,
    .tp_vectorcall_offset = offsetof(Decoder, vectorcall),
    .tp_dictoffset = offsetof(Decoder, dict),
    .tp_methods = decoder_methods,
    .tp_getset = decoder_getset,
    .tp_members = decoder_members,
};

static struct PyModuleDef module = {
    PyModuleDef_HEAD_INIT, "ceilocompat._decoder_accel",
    "Compiled dict-to-slots decoders (the Python code they are planned from is the reference).", -1, NULL,
};

PyMODINIT_FUNC
PyInit__decoder_accel(void)
{
    if (PyType_Ready(&DecoderType) < 0) {
        return NULL;
    }
    empty_tuple = PyTuple_New(0);
    if (empty_tuple == NULL) {
        return NULL;
    }
    PyObject *m = PyModule_Create(&module);
    if (m == NULL) {
        return NULL;
    }
    Py_INCREF(&DecoderType);
    if (PyModule_AddObject(m, "Decoder", (PyObject *)&DecoderType) < 0) {
        Py_DECREF(&DecoderType);
        Py_DECREF(m);
        return NULL;
    }
    /* The codes of what a plan gives a missing key, named for the Python code that writes plans. */
    if (PyModule_AddIntConstant(m, "FALL_BACK", MISSING_FALLBACK) < 0
            || PyModule_AddIntConstant(m, "CONSTANT", MISSING_CONSTANT) < 0
            || PyModule_AddIntConstant(m, "FACTORY", MISSING_FACTORY) < 0
            || PyModule_AddIntConstant(m, "RECEIVED", MISSING_RECEIVED) < 0) {
        Py_DECREF(m);
        return NULL;
    }
    return m;
}
