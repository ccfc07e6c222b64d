/* Ceilometer's message signature, compiled.
 *
 * Renders a message exactly as ceilometer.publisher.utils does (sorted
 * names, nested dicts as "parent:child", lists through str() of a copy whose
 * texts became bytes) into one UTF-8 buffer and signs it with HMAC-SHA256
 * (RFC 2104) over OpenSSL's SHA-256: the keyed inner and outer states are
 * made once per secret and copied by value for each message. OpenSSL's own
 * HMAC interfaces, reusing a key (HMAC_Init_ex, EVP_MAC_init with no key),
 * set the digests up again through its provider layer for every message,
 * which costs about as much again as hashing a 600-byte sample.
 *
 * It renders only values whose str() and repr() are CPython's own C code:
 * exact dict, list, tuple, str, int, float, bool and None, dicts keyed by
 * exact str. Anything else (another class, bytes, text that is not valid
 * Unicode, an int too long to print, nesting deeper than MAX_DEPTH) makes it
 * return None before any Python code of the message ran, and the caller
 * signs the message with the pure-Python reference instead. So errors and
 * side effects are always the reference's own.
 */
#define PY_SSIZE_T_CLEAN
#define OPENSSL_SUPPRESS_DEPRECATED
#include <Python.h>
#include <openssl/crypto.h>
#include <openssl/sha.h>
#include <stdint.h>
#include <string.h>

#define MAX_DEPTH 32
#define INLINE_BUFFER 4096
#define INLINE_KEYS 48
#define MAC_CACHE 16

typedef enum { RENDERED = 0, UNSUPPORTED = 1, FAILED = -1 } status;

/* --- a growable byte buffer ------------------------------------------------ */

typedef struct {
    char *data;
    Py_ssize_t len, cap;
    char inline_data[INLINE_BUFFER];
} buffer;

static void buffer_init(buffer *b) {
    b->data = b->inline_data;
    b->len = 0;
    b->cap = INLINE_BUFFER;
}

static void buffer_free(buffer *b) {
    if (b->data != b->inline_data) PyMem_Free(b->data);
}

static int buffer_grow(buffer *b, Py_ssize_t extra) {
    Py_ssize_t cap = b->cap;
    if (extra > PY_SSIZE_T_MAX / 2 - b->len) {
        PyErr_NoMemory();
        return -1;
    }
    while (cap < b->len + extra) cap *= 2;
    char *data;
    if (b->data == b->inline_data) {
        data = PyMem_Malloc(cap);
        if (data) memcpy(data, b->data, b->len);
    } else {
        data = PyMem_Realloc(b->data, cap);
    }
    if (!data) {
        PyErr_NoMemory();
        return -1;
    }
    b->data = data;
    b->cap = cap;
    return 0;
}

static inline int put(buffer *b, const char *s, Py_ssize_t n) {
    if (b->len + n > b->cap && buffer_grow(b, n) < 0) return -1;
    memcpy(b->data + b->len, s, n);
    b->len += n;
    return 0;
}

static inline int put_char(buffer *b, char c) {
    if (b->len + 1 > b->cap && buffer_grow(b, 1) < 0) return -1;
    b->data[b->len++] = c;
    return 0;
}

/* --- scalars ------------------------------------------------------------------ */

/* The UTF-8 of an exact str, or NULL (no exception set) for text that is not
 * valid Unicode (lone surrogates). */
static const char *utf8_of(PyObject *text, Py_ssize_t *size) {
    const char *s = PyUnicode_AsUTF8AndSize(text, size);
    if (!s) PyErr_Clear();
    return s;
}

/* str() of an exact int, which is also its repr(). */
static status put_int(buffer *b, PyObject *value) {
    int overflow;
    long long v = PyLong_AsLongLongAndOverflow(value, &overflow);
    if (!overflow) {
        char digits[24];
        int n = 0;
        unsigned long long u = v < 0 ? 0ULL - (unsigned long long)v : (unsigned long long)v;
        do {
            digits[sizeof digits - 1 - n++] = (char)('0' + u % 10);
            u /= 10;
        } while (u);
        if (v < 0) digits[sizeof digits - 1 - n++] = '-';
        return put(b, digits + sizeof digits - n, n) < 0 ? FAILED : RENDERED;
    }
    PyObject *text = PyObject_Str(value);
    if (!text) { /* too many digits to print: the reference says why */
        if (PyErr_ExceptionMatches(PyExc_MemoryError)) return FAILED;
        PyErr_Clear();
        return UNSUPPORTED;
    }
    Py_ssize_t n;
    const char *s = PyUnicode_AsUTF8AndSize(text, &n);
    status result = s && put(b, s, n) == 0 ? RENDERED : FAILED;
    Py_DECREF(text);
    return result;
}

/* repr() of an exact float, as float_repr computes it (also its str()). */
static status put_float_repr(buffer *b, PyObject *value) {
    char *s = PyOS_double_to_string(PyFloat_AS_DOUBLE(value), 'r', 0, Py_DTSF_ADD_DOT_0, NULL);
    if (!s) return FAILED;
    int failed = put(b, s, (Py_ssize_t)strlen(s)) < 0;
    PyMem_Free(s);
    return failed ? FAILED : RENDERED;
}

static PyObject *legacy_float_spec; /* ".12g" */

/* Python 2's str(float): format(value, ".12g"), ".0" added to a bare integer. */
static status put_float_legacy(buffer *b, PyObject *value) {
    PyObject *text = PyObject_Format(value, legacy_float_spec);
    if (!text) return FAILED;
    Py_ssize_t n;
    const char *s = PyUnicode_AsUTF8AndSize(text, &n);
    status result = FAILED;
    if (s && put(b, s, n) == 0) {
        Py_ssize_t i = 0;
        while (i < n && s[i] == '-') i++;
        int digits = i < n;
        for (; i < n; i++) digits &= s[i] >= '0' && s[i] <= '9';
        result = digits && put(b, ".0", 2) < 0 ? FAILED : RENDERED;
    }
    Py_DECREF(text);
    return result;
}

/* repr() of bytes (smart quotes, \t \n \r, \xhh), written from UTF-8 text;
 * with_prefix=0 leaves out the "b", as Python 2 printed a byte string. */
static int put_bytes_repr(buffer *b, const char *s, Py_ssize_t n, int with_prefix) {
    static const char hex[] = "0123456789abcdef";
    char quote = '\'';
    if (memchr(s, '\'', n) && !memchr(s, '"', n)) quote = '"';
    if (b->len + 4 * n + 3 > b->cap && buffer_grow(b, 4 * n + 3) < 0) return -1;
    char *out = b->data + b->len;
    if (with_prefix) *out++ = 'b';
    *out++ = quote;
    for (Py_ssize_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == (unsigned char)quote || c == '\\') {
            *out++ = '\\';
            *out++ = (char)c;
        } else if (c == '\t') {
            *out++ = '\\';
            *out++ = 't';
        } else if (c == '\n') {
            *out++ = '\\';
            *out++ = 'n';
        } else if (c == '\r') {
            *out++ = '\\';
            *out++ = 'r';
        } else if (c < ' ' || c >= 0x7f) {
            *out++ = '\\';
            *out++ = 'x';
            *out++ = hex[c >> 4];
            *out++ = hex[c & 15];
        } else {
            *out++ = (char)c;
        }
    }
    *out++ = quote;
    b->len = out - b->data;
    return 0;
}

/* --- sorted dict entries --------------------------------------------------------- */

typedef struct {
    uint64_t head; /* the first 8 bytes of name, big-endian, zero-padded */
    const char *name;
    Py_ssize_t size;
    PyObject *value; /* borrowed */
} entry;

typedef struct {
    entry *items;
    Py_ssize_t n;
    entry inline_items[INLINE_KEYS];
} entries;

static inline uint64_t head_of(const char *s, Py_ssize_t n) {
    unsigned char bytes[8] = {0};
    memcpy(bytes, s, n < 8 ? n : 8);
    uint64_t head = 0;
    for (int i = 0; i < 8; i++) head = head << 8 | bytes[i];
    return head;
}

/* Byte order of UTF-8 is code point order, which is how Python sorts str. */
static inline int entry_less(const entry *a, const entry *b) {
    if (a->head != b->head) return a->head < b->head;
    if (a->size <= 8 || b->size <= 8) return a->size < b->size;
    Py_ssize_t n = a->size < b->size ? a->size : b->size;
    int c = memcmp(a->name + 8, b->name + 8, n - 8);
    return c < 0 || (c == 0 && a->size < b->size);
}

static int entry_compare(const void *a, const void *b) {
    return entry_less(a, b) ? -1 : entry_less(b, a) ? 1 : 0;
}

static void entries_free(entries *e) {
    if (e->items != e->inline_items) PyMem_Free(e->items);
}

/* The items of an exact dict in sorted order of their names. */
static status sorted_entries(PyObject *dict, entries *e) {
    Py_ssize_t n = PyDict_GET_SIZE(dict), pos = 0, i = 0;
    PyObject *key, *value;
    e->items = e->inline_items;
    e->n = 0;
    if (n > INLINE_KEYS) {
        e->items = PyMem_Malloc(n * sizeof(entry));
        if (!e->items) {
            e->items = e->inline_items;
            PyErr_NoMemory();
            return FAILED;
        }
    }
    while (PyDict_Next(dict, &pos, &key, &value)) {
        if (!PyUnicode_CheckExact(key)) return UNSUPPORTED;
        entry current;
        current.name = utf8_of(key, &current.size);
        if (!current.name) return UNSUPPORTED;
        current.head = head_of(current.name, current.size);
        current.value = value;
        if (n <= INLINE_KEYS) { /* binary insertion */
            Py_ssize_t lo = 0, hi = i;
            while (lo < hi) {
                Py_ssize_t mid = (lo + hi) / 2;
                if (entry_less(&current, &e->items[mid])) hi = mid;
                else lo = mid + 1;
            }
            memmove(&e->items[lo + 1], &e->items[lo], (i - lo) * sizeof(entry));
            e->items[lo] = current;
        } else {
            e->items[i] = current;
        }
        e->n = ++i;
    }
    if (n > INLINE_KEYS) qsort(e->items, n, sizeof(entry), entry_compare);
    return RENDERED;
}

/* --- lists ---------------------------------------------------------------------------- */

static status put_list_item(buffer *b, PyObject *item, int legacy, int depth);

/* str() of Ceilometer's decode_unicode(value) for a list or tuple (texts to
 * bytes); legacy: as Python 2 printed it. */
static status put_list(buffer *b, PyObject *seq, int legacy, int depth) {
    if (depth > MAX_DEPTH) return UNSUPPORTED;
    Py_ssize_t n = PySequence_Fast_GET_SIZE(seq);
    PyObject **items = PySequence_Fast_ITEMS(seq);
    if (put_char(b, '[') < 0) return FAILED;
    for (Py_ssize_t i = 0; i < n; i++) {
        if (i && put(b, ", ", 2) < 0) return FAILED;
        status s = put_list_item(b, items[i], legacy, depth);
        if (s != RENDERED) return s;
    }
    return put_char(b, ']') < 0 ? FAILED : RENDERED;
}

static status put_list_item(buffer *b, PyObject *item, int legacy, int depth) {
    PyTypeObject *cls = Py_TYPE(item);
    if (cls == &PyUnicode_Type) {
        Py_ssize_t n;
        const char *s = utf8_of(item, &n);
        if (!s) return UNSUPPORTED;
        return put_bytes_repr(b, s, n, !legacy) < 0 ? FAILED : RENDERED;
    }
    if (cls == &PyLong_Type) return put_int(b, item);
    if (cls == &PyFloat_Type) return put_float_repr(b, item);
    if (item == Py_None) return put(b, "None", 4) < 0 ? FAILED : RENDERED;
    if (item == Py_True) return put(b, "True", 4) < 0 ? FAILED : RENDERED;
    if (item == Py_False) return put(b, "False", 5) < 0 ? FAILED : RENDERED;
    if (cls == &PyList_Type || cls == &PyTuple_Type) return put_list(b, item, legacy, depth + 1);
    if (cls == &PyDict_Type) {
        if (depth + 1 > MAX_DEPTH) return UNSUPPORTED;
        entries e;
        status s = sorted_entries(item, &e);
        if (s == RENDERED && put_char(b, '{') < 0) s = FAILED;
        for (Py_ssize_t i = 0; s == RENDERED && i < e.n; i++) {
            if ((i && put(b, ", ", 2) < 0) || put_bytes_repr(b, e.items[i].name, e.items[i].size, !legacy) < 0
                || put(b, ": ", 2) < 0)
                s = FAILED;
            else
                s = put_list_item(b, e.items[i].value, legacy, depth + 1);
        }
        if (s == RENDERED && put_char(b, '}') < 0) s = FAILED;
        entries_free(&e);
        return s;
    }
    return UNSUPPORTED;
}

/* --- dict levels ------------------------------------------------------------------------- */

typedef struct {
    buffer *out;
    buffer prefix; /* "parent:child:" of the level being rendered */
    int legacy;
} renderer;

static status put_scalar(renderer *r, PyObject *value) {
    buffer *b = r->out;
    PyTypeObject *cls = Py_TYPE(value);
    if (cls == &PyUnicode_Type) {
        Py_ssize_t n;
        const char *s = utf8_of(value, &n);
        if (!s) return UNSUPPORTED;
        return put(b, s, n) < 0 ? FAILED : RENDERED;
    }
    if (cls == &PyLong_Type) return put_int(b, value);
    if (cls == &PyFloat_Type) return r->legacy ? put_float_legacy(b, value) : put_float_repr(b, value);
    if (value == Py_None) return put(b, "None", 4) < 0 ? FAILED : RENDERED;
    if (value == Py_True) return put(b, "True", 4) < 0 ? FAILED : RENDERED;
    if (value == Py_False) return put(b, "False", 5) < 0 ? FAILED : RENDERED;
    if (cls == &PyList_Type || cls == &PyTuple_Type) return put_list(b, value, r->legacy, 0);
    return UNSUPPORTED;
}

/* Every "name value" of an exact dict and of the dicts below it. */
static status put_mapping(renderer *r, PyObject *dict, int depth) {
    if (depth > MAX_DEPTH) return UNSUPPORTED;
    entries e;
    status s = sorted_entries(dict, &e);
    Py_ssize_t prefix_len = r->prefix.len;
    for (Py_ssize_t i = 0; s == RENDERED && i < e.n; i++) {
        entry *item = &e.items[i];
        PyObject *value = item->value;
        if (PyDict_Check(value)) {
            if (!PyDict_CheckExact(value)) {
                s = UNSUPPORTED;
            } else if (PyDict_GET_SIZE(value)) {
                if (put(&r->prefix, item->name, item->size) < 0 || put_char(&r->prefix, ':') < 0)
                    s = FAILED;
                else
                    s = put_mapping(r, value, depth + 1);
                r->prefix.len = prefix_len;
            }
            continue;
        }
        if (depth == 0 && item->size == 17 && memcmp(item->name, "message_signature", 17) == 0) {
            /* left out; a list is decoded all the same, and the reference says
             * where that fails, so it must be one this module renders */
            if (!r->legacy && (PyList_CheckExact(value) || PyTuple_CheckExact(value))) {
                Py_ssize_t kept = r->out->len;
                s = put_list(r->out, value, 0, 0);
                r->out->len = kept;
            } else if (!r->legacy && (PyList_Check(value) || PyTuple_Check(value))) {
                s = UNSUPPORTED;
            }
            continue;
        }
        if (put(r->out, r->prefix.data, prefix_len) < 0 || put(r->out, item->name, item->size) < 0)
            s = FAILED;
        else
            s = put_scalar(r, value);
    }
    entries_free(&e);
    return s;
}

/* --- HMAC-SHA256 ------------------------------------------------------------------------------ */

typedef struct {
    Py_ssize_t size;
    unsigned char *key;
    SHA256_CTX inner, outer;
} keyed_mac;

static keyed_mac macs[MAC_CACHE];
static int macs_used, macs_next;

static keyed_mac *mac_for(const char *key, Py_ssize_t size) {
    for (int i = 0; i < macs_used; i++)
        if (macs[i].size == size && memcmp(macs[i].key, key, size) == 0) return &macs[i];
    unsigned char *copy = PyMem_Malloc(size ? size : 1);
    if (!copy) {
        PyErr_NoMemory();
        return NULL;
    }
    memcpy(copy, key, size);
    keyed_mac *mac = &macs[macs_next];
    macs_next = (macs_next + 1) % MAC_CACHE;
    if (macs_used < MAC_CACHE) macs_used++;
    else PyMem_Free(mac->key);
    mac->key = copy;
    mac->size = size;
    unsigned char block[SHA256_CBLOCK], pad[SHA256_CBLOCK];
    memset(block, 0, sizeof block);
    if (size > SHA256_CBLOCK) SHA256((const unsigned char *)key, size, block);
    else memcpy(block, key, size);
    for (int i = 0; i < SHA256_CBLOCK; i++) pad[i] = block[i] ^ 0x36;
    SHA256_Init(&mac->inner);
    SHA256_Update(&mac->inner, pad, sizeof pad);
    for (int i = 0; i < SHA256_CBLOCK; i++) pad[i] = block[i] ^ 0x5c;
    SHA256_Init(&mac->outer);
    SHA256_Update(&mac->outer, pad, sizeof pad);
    OPENSSL_cleanse(block, sizeof block);
    OPENSSL_cleanse(pad, sizeof pad);
    return mac;
}

/* The hex HMAC-SHA256 of data, 64 characters into hex. */
static void hmac_hex(keyed_mac *mac, const char *data, Py_ssize_t size, char *hex) {
    static const char digits[] = "0123456789abcdef";
    unsigned char inner[SHA256_DIGEST_LENGTH], outer[SHA256_DIGEST_LENGTH];
    SHA256_CTX ctx = mac->inner;
    SHA256_Update(&ctx, data, size);
    SHA256_Final(inner, &ctx);
    ctx = mac->outer;
    SHA256_Update(&ctx, inner, sizeof inner);
    SHA256_Final(outer, &ctx);
    for (int i = 0; i < SHA256_DIGEST_LENGTH; i++) {
        hex[2 * i] = digits[outer[i] >> 4];
        hex[2 * i + 1] = digits[outer[i] & 15];
    }
}

/* --- entry points ------------------------------------------------------------------------------- */

/* The secret's bytes: exact str (UTF-8) or exact bytes; 0 if other. */
static int secret_bytes(PyObject *secret, const char **key, Py_ssize_t *size) {
    if (PyBytes_CheckExact(secret)) {
        *key = PyBytes_AS_STRING(secret);
        *size = PyBytes_GET_SIZE(secret);
        return 1;
    }
    if (PyUnicode_CheckExact(secret)) {
        *key = utf8_of(secret, size);
        return *key != NULL;
    }
    return 0;
}

/* RENDERED with the hex signature of message in hex, or UNSUPPORTED/FAILED. */
static status sign(PyObject *message, const char *key, Py_ssize_t key_size, int legacy, char *hex) {
    buffer out;
    renderer r;
    buffer_init(&out);
    buffer_init(&r.prefix);
    r.out = &out;
    r.legacy = legacy;
    status s = put_mapping(&r, message, 0);
    if (s == RENDERED) {
        keyed_mac *mac = mac_for(key, key_size);
        if (mac) hmac_hex(mac, out.data, out.len, hex);
        else s = FAILED;
    }
    buffer_free(&out);
    buffer_free(&r.prefix);
    return s;
}

typedef struct {
    PyObject *message;
    const char *key;
    Py_ssize_t key_size;
    int legacy;
} call;

typedef enum { CALL_FAILED = -1, CALL_DEFERRED, CALL_EMPTY_SECRET, CALL_READY } call_state;

/* The arguments (message, secret, legacy) of an entry point. DEFERRED: the
 * reference must handle the call (another class of secret or message). */
static call_state parse_call(const char *name, PyObject *const *args, Py_ssize_t nargs, call *c) {
    if (nargs != 3) {
        PyErr_Format(PyExc_TypeError, "%s(message, secret, legacy) takes 3 arguments", name);
        return CALL_FAILED;
    }
    if (!secret_bytes(args[1], &c->key, &c->key_size)) return CALL_DEFERRED;
    if (!c->key_size) return CALL_EMPTY_SECRET;
    c->message = args[0];
    if (!PyDict_CheckExact(c->message)) return CALL_DEFERRED;
    c->legacy = PyObject_IsTrue(args[2]);
    return c->legacy < 0 ? CALL_FAILED : CALL_READY;
}

PyDoc_STRVAR(signature_doc,
"signature(message, secret, legacy)\n--\n\n"
"Ceilometer's signature of message (hex text), \"\" for an empty secret, or\n"
"None where the pure-Python reference must sign it (not an exact dict, a\n"
"value of another class, text that is not valid Unicode...). legacy: the\n"
"Python 2 era rendering.");

static PyObject *signature(PyObject *Py_UNUSED(module), PyObject *const *args, Py_ssize_t nargs) {
    call c;
    switch (parse_call("signature", args, nargs, &c)) {
    case CALL_FAILED: return NULL;
    case CALL_DEFERRED: Py_RETURN_NONE;
    case CALL_EMPTY_SECRET: return PyUnicode_New(0, 127);
    case CALL_READY: break;
    }
    char hex[2 * SHA256_DIGEST_LENGTH];
    status s = sign(c.message, c.key, c.key_size, c.legacy, hex);
    if (s == FAILED) return NULL;
    if (s == UNSUPPORTED) Py_RETURN_NONE;
    return PyUnicode_FromStringAndSize(hex, sizeof hex);
}

PyDoc_STRVAR(verify_doc,
"verify(message, secret, legacy)\n--\n\n"
"Whether message's message_signature is its signature under secret (True\n"
"for an empty secret), or None where the pure-Python reference must decide.\n"
"legacy: also accept the Python 2 era rendering.");

static PyObject *signature_key; /* "message_signature" */

static PyObject *verify(PyObject *Py_UNUSED(module), PyObject *const *args, Py_ssize_t nargs) {
    call c;
    switch (parse_call("verify", args, nargs, &c)) {
    case CALL_FAILED: return NULL;
    case CALL_DEFERRED: Py_RETURN_NONE;
    case CALL_EMPTY_SECRET: Py_RETURN_TRUE;
    case CALL_READY: break;
    }
    char hex[2 * SHA256_DIGEST_LENGTH];
    status s = sign(c.message, c.key, c.key_size, 0, hex);
    if (s == FAILED) return NULL;
    if (s == UNSUPPORTED) Py_RETURN_NONE;
    /* Every key is exact str now, so the lookup runs no Python code. */
    PyObject *received = PyDict_GetItemWithError(c.message, signature_key);
    if (!received && PyErr_Occurred()) return NULL;
    const char *expected;
    Py_ssize_t expected_size;
    if (!received) {
        expected = "";
        expected_size = 0;
    } else if (PyUnicode_CheckExact(received)) {
        if (PyUnicode_READY(received) < 0) return NULL;
        if (!PyUnicode_IS_ASCII(received)) Py_RETURN_FALSE;
        expected = (const char *)PyUnicode_DATA(received);
        expected_size = PyUnicode_GET_LENGTH(received);
    } else if (PyBytes_Check(received)) {
        expected = PyBytes_AS_STRING(received);
        expected_size = PyBytes_GET_SIZE(received);
    } else {
        Py_RETURN_FALSE;
    }
    if (expected_size != (Py_ssize_t)sizeof hex) Py_RETURN_FALSE;
    if (CRYPTO_memcmp(hex, expected, sizeof hex) == 0) Py_RETURN_TRUE;
    if (!c.legacy) Py_RETURN_FALSE;
    s = sign(c.message, c.key, c.key_size, 1, hex);
    if (s == FAILED) return NULL;
    if (s == UNSUPPORTED) Py_RETURN_NONE;
    return PyBool_FromLong(CRYPTO_memcmp(hex, expected, sizeof hex) == 0);
}

static PyMethodDef methods[] = {
    {"signature", (PyCFunction)(void (*)(void))signature, METH_FASTCALL, signature_doc},
    {"verify", (PyCFunction)(void (*)(void))verify, METH_FASTCALL, verify_doc},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module_def = {
    PyModuleDef_HEAD_INIT, "ceilocompat._signing_accel",
    "Ceilometer's message signature, compiled (C, OpenSSL's SHA-256).", -1, methods,
};

PyMODINIT_FUNC PyInit__signing_accel(void) {
    if (!legacy_float_spec && !(legacy_float_spec = PyUnicode_InternFromString(".12g"))) return NULL;
    if (!signature_key && !(signature_key = PyUnicode_InternFromString("message_signature"))) return NULL;
    return PyModule_Create(&module_def);
}
