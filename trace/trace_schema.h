/* trace_schema.h - event lines <-> struct heap_event, through the schema table
 * of kernel/heap_event.h (heap_event_fields): the one place that knows which
 * JSON field of which kind is which member, walked by the reader, the writer,
 * diff, check and the viewer.
 *
 * Reading: the JSON scanner's dictionary of every field name (events and
 * symbol records), and the mapping of a scanned line onto an event. The
 * format's own rules (trace_event_check, trace_end_check) are declared in
 * trace_reader.h, defined here.
 */
#ifndef TRACE_SCHEMA_H
#define TRACE_SCHEMA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "heap_event.h"
#include "json_scan.h"
#include "trace_reader.h"

#define TRACE_KIND_SYM   (-2) /* trace_schema_kind: a symbol record, not an event */
#define TRACE_KIND_STACK (-3) /* trace_schema_kind: a stack record, not an event */

/* Symbol records ({"k":"sym","addr":"0x...","fn":...,"src":...,"inlined":[{"fn":...,
 * "src":...},...]}) and stack records ({"k":"stack","id":N,"frames":["0x...",...]}):
 * not events. */
#define TRACE_SYM_KIND       "sym"
#define TRACE_SYM_ADDR       "addr"
#define TRACE_SYM_FN         "fn"
#define TRACE_SYM_SRC        "src"
#define TRACE_SYM_INLINED    "inlined"
#define TRACE_STACK_KIND     "stack"
#define TRACE_STACK_ID       "id"
#define TRACE_STACK_FRAMES   "frames"

/* The scanner's dictionary: every field of every kind (one slot a name) and
 * the fields of symbol records. Built once, on first use. */
const struct json_keys *trace_schema_keys(void);

/* The JSON name of the kind field of every line ("k"). */
const char *trace_schema_kind_key(void);

/* The slot in the dictionary of the kind field "k". */
int trace_schema_kind_slot(void);

/* The kind named by the "k" field of scanned line s: an enum heap_event_kind,
 * TRACE_KIND_SYM for a symbol record, TRACE_KIND_STACK for a stack record,
 * or -1 with what is wrong in err. */
int trace_schema_kind(const struct json_scan *s, char *err, size_t errlen);

/* Fills *ev from the scanned line s of a `kind` event: every field of the
 * kind (and i, t, and n when with_instret) must be there; fields other
 * kinds have are ignored. The event is then held to trace_event_check.
 * Returns false with what is wrong in err ("alloc event lacks field 'ex'"). */
bool trace_schema_event(const struct json_scan *s, int kind, bool with_instret,
                        struct heap_event *ev, char *err, size_t errlen);

/* A symbol record as read: the strings live in the record (fn, src) or in
 * the parse of its "inlined" list, until trace_schema_symbol_done. */
struct trace_schema_sym {
	struct trace_symbol sym;    /* what the record says; sym.inlined = inlined */
	char fn[256], src[512];     /* sym.fn and sym.src */
	struct trace_inline inlined[TRACE_INLINED_MAX];
	void *parse;                /* the parsed "inlined" list (cJSON), or NULL */
};

/* Reads a symbol record: its address, fn (default "??"), src (default
 * "??:0") and optional "inlined" list (1 to TRACE_INLINED_MAX objects with
 * fn and src) into *rec. False with what is wrong in err (*rec then needs
 * no trace_schema_symbol_done). */
bool trace_schema_symbol(const struct json_scan *s, struct trace_schema_sym *rec, char *err,
                         size_t errlen);

/* Releases what trace_schema_symbol kept for rec's strings. */
void trace_schema_symbol_done(struct trace_schema_sym *rec);

/* Reads a stack record: id (1 to 2^32 - 1) into *id, its frames (1 to
 * TRACE_STACK_DEPTH_MAX hex addresses) into frames[0 .. *depth). False with
 * what is wrong in err ("stack record: 'frames' has 33 frames, at most 32"). */
bool trace_schema_stack(const struct json_scan *s, uint32_t *id, uint32_t *depth,
                        uint64_t frames[TRACE_STACK_DEPTH_MAX], char *err, size_t errlen);

/* The field of `kind` stored in struct heap_event at member offset `offset`
 * (the first, if two share it: op and error share flags), or NULL. */
const struct heap_field *trace_schema_field_at(unsigned kind, size_t offset);

/* Writes "name" or, for a terse one, "name (gloss)" ("ex (free blocks
 * examined)") into buf (n bytes). Returns buf. */
const char *trace_schema_field_label(const struct heap_field *f, char *buf, size_t n);

/* Formats the value of field f of ev as the JSON trace writes it, without
 * quotes ("0x80400010", "64", "both", "double free", "true") into buf (n
 * bytes, at least 24). Returns buf. */
const char *trace_schema_value_text(const struct heap_event *ev, const struct heap_field *f,
                                    char *buf, size_t n);

/* Whether f's value is written as a JSON string (quoted). */
bool trace_schema_is_string(const struct heap_field *f);

#endif /* TRACE_SCHEMA_H */
