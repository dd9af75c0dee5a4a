/* trace_schema.c - event lines <-> struct heap_event through the schema table (trace_schema.h). */
#include "trace_schema.h"

#include "trace_reader.h"
#include "utf8.h"

#include <cjson/cJSON.h>

#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>

/* One field of a kind's reading plan: where its value is and what to do with it. */
struct step {
	int8_t slot;                  /* in the scan; -1 ends the plan */
	uint8_t op;                   /* STEP_* */
	uint8_t offset;               /* member */
	const struct heap_field *f;   /* the row, for put_field */
};
enum { STEP_COPY8, STEP_ALIGN, STEP_OTHER };

/* What trace_event_check must look at in events of one kind, from its fields. */
struct rules {
	uint8_t nbig;            /* numbers (8-byte HEAP_FT_UINT members) ... */
	uint8_t big[HEAP_FIELDS_MAX]; /* ... at these offsets: below 2^53 */
	uint16_t types;          /* bit (1 << enum heap_field_type) of each type the kind has */
};

static struct {
	struct json_keys fields;                     /* every field name: the scanner's */
	struct json_keys kinds;                      /* kind names: slot = kind; "sym" last */
	int common[HEAP_FIELDS_MAX];                 /* slots of the common fields */
	int slot[HEAP_EV_COUNT][HEAP_FIELDS_MAX];    /* slots of each kind's fields */
	struct step plan[HEAP_EV_COUNT][2 * HEAP_FIELDS_MAX]; /* how to read each kind */
	struct rules rules[HEAP_EV_COUNT];                   /* how to check each kind */
	uint64_t required[HEAP_EV_COUNT];            /* bits of the slots each kind needs (i, t too) */
	struct step optional[HEAP_EV_COUNT][HEAP_FIELDS_MAX]; /* a kind's optional fields
	                                                         (heap_field_optional); slot -1 ends */
	uint64_t instret_bit;                        /* bit of the slot of n */
	int instret_slot;                            /* its slot */
	const struct heap_field *instret;            /* its row */
	int kind_slot;                               /* slot of k */
	int sym_addr, sym_fn, sym_src, sym_inlined;  /* slots of a symbol record's fields */
	int stack_id, stack_frames;                  /* slots of a stack record's fields */
	bool ok;                                     /* the table fits the dictionary */
} schema;
static pthread_once_t schema_once = PTHREAD_ONCE_INIT;

static enum json_type json_type_of(const struct heap_field *f)
{
	switch (f->type) {
	case HEAP_FT_ADDR:
	case HEAP_FT_CODE:
		return JSON_T_HEX;
	case HEAP_FT_KIND:
	case HEAP_FT_MERGED:
	case HEAP_FT_OP:
	case HEAP_FT_ERROR:
	case HEAP_FT_NAME:
	case HEAP_FT_POLICY:
		return JSON_T_STR;
	case HEAP_FT_PANIC:
		return JSON_T_BOOL;
	default:
		return JSON_T_UINT;
	}
}

static int add_field(const struct heap_field *f)
{
	int x = json_keys_add(&schema.fields, f->name, f->len, json_type_of(f));
	if (x < 0)
		schema.ok = false;
	return x;
}

static void schema_build(void)
{
	schema.ok = true;
	const struct heap_field *c = heap_event_common_fields();
	uint64_t common = 0;
	for (int i = 0; c[i].name; i++) {
		schema.common[i] = add_field(&c[i]);
		if (c[i].type == HEAP_FT_INSTRET) {
			schema.instret_bit = (uint64_t)1 << (schema.common[i] & 63);
			schema.instret_slot = schema.common[i];
			schema.instret = &c[i];
		}
		else if (c[i].type == HEAP_FT_KIND)
			schema.kind_slot = schema.common[i];
		else
			common |= (uint64_t)1 << (schema.common[i] & 63);
	}
	for (unsigned k = 0; k < HEAP_EV_COUNT; k++) {
		const char *name = heap_event_kind_name(k);
		if (json_keys_add(&schema.kinds, name, strlen(name), JSON_T_STR) != (int)k)
			schema.ok = false;
		const struct heap_field *f = heap_event_fields(k);
		schema.required[k] = common;
		struct step *st = schema.plan[k];
		for (int i = 0; c[i].name; i++) /* i and t (n is read apart: it may be absent) */
			if (c[i].type == HEAP_FT_UINT)
				*st++ = (struct step){(int8_t)schema.common[i], STEP_COPY8, c[i].offset, &c[i]};
		struct step *opt = schema.optional[k];
		for (int i = 0; f[i].name; i++) {
			schema.slot[k][i] = add_field(&f[i]);
			if (heap_field_optional(&f[i])) { /* absent: 0 */
				schema.rules[k].types |= (uint16_t)(1u << f[i].type);
				*opt++ = (struct step){(int8_t)schema.slot[k][i], STEP_OTHER, f[i].offset,
				                       &f[i]};
				continue;
			}
			schema.required[k] |= (uint64_t)1 << (schema.slot[k][i] & 63);
			uint8_t op = f[i].width == 8 && f[i].type != HEAP_FT_NAME ? STEP_COPY8
			             : f[i].type == HEAP_FT_ALIGN                 ? STEP_ALIGN
			                                                          : STEP_OTHER;
			*st++ = (struct step){(int8_t)schema.slot[k][i], op, f[i].offset, &f[i]};
			struct rules *ru = &schema.rules[k];
			ru->types |= (uint16_t)(1u << f[i].type);
			if (f[i].type == HEAP_FT_UINT && f[i].width == 8)
				ru->big[ru->nbig++] = f[i].offset;
		}
		st->slot = -1;
		opt->slot = -1;
	}
	if (json_keys_add(&schema.kinds, TRACE_SYM_KIND, strlen(TRACE_SYM_KIND), JSON_T_STR) !=
	    HEAP_EV_COUNT)
		schema.ok = false;
	schema.sym_addr =
	    json_keys_add(&schema.fields, TRACE_SYM_ADDR, strlen(TRACE_SYM_ADDR), JSON_T_HEX);
	schema.sym_fn = json_keys_add(&schema.fields, TRACE_SYM_FN, strlen(TRACE_SYM_FN), JSON_T_STR);
	schema.sym_src =
	    json_keys_add(&schema.fields, TRACE_SYM_SRC, strlen(TRACE_SYM_SRC), JSON_T_STR);
	schema.sym_inlined = json_keys_add(&schema.fields, TRACE_SYM_INLINED,
	                                   strlen(TRACE_SYM_INLINED), JSON_T_RAW);
	if (json_keys_add(&schema.kinds, TRACE_STACK_KIND, strlen(TRACE_STACK_KIND), JSON_T_STR) !=
	    HEAP_EV_COUNT + 1)
		schema.ok = false;
	schema.stack_id =
	    json_keys_add(&schema.fields, TRACE_STACK_ID, strlen(TRACE_STACK_ID), JSON_T_UINT);
	schema.stack_frames = json_keys_add(&schema.fields, TRACE_STACK_FRAMES,
	                                    strlen(TRACE_STACK_FRAMES), JSON_T_RAW);
	if (schema.sym_addr < 0 || schema.sym_fn < 0 || schema.sym_src < 0 ||
	    schema.sym_inlined < 0 || schema.stack_id < 0 || schema.stack_frames < 0)
		schema.ok = false;
}

const struct json_keys *trace_schema_keys(void)
{
	pthread_once(&schema_once, schema_build);
	return schema.ok ? &schema.fields : NULL;
}

const char *trace_schema_kind_key(void)
{
	for (const struct heap_field *c = heap_event_common_fields(); c->name; c++)
		if (c->type == HEAP_FT_KIND)
			return c->name;
	return "?";
}

int trace_schema_kind_slot(void)
{
	pthread_once(&schema_once, schema_build);
	return schema.kind_slot;
}

int trace_schema_kind(const struct json_scan *s, char *err, size_t errlen)
{
	int ks = trace_schema_kind_slot();
	if (!(s->seen & (uint64_t)1 << ks)) {
		snprintf(err, errlen, "line has no kind field 'k'");
		return -1;
	}
	const char *k = s->s[ks];
	size_t klen = s->slen[ks];
	int kind;
	if (!s->sesc[ks]) {
		kind = json_keys_find(&schema.kinds, k, klen);
	} else { /* an escaped kind name: decode it first */
		char kname[24];
		json_unescape(k, klen, true, kname, sizeof kname);
		size_t n = strlen(kname);
		kind = n < sizeof kname - 1 ? json_keys_find(&schema.kinds, kname, n) : -1;
	}
	if (kind == HEAP_EV_COUNT)
		return TRACE_KIND_SYM;
	if (kind == HEAP_EV_COUNT + 1)
		return TRACE_KIND_STACK;
	if (kind < 0)
		snprintf(err, errlen, "unknown event kind \"%.*s\"", (int)(klen > 32 ? 32 : klen), k);
	return kind;
}

static int log2_exact(uint64_t v)
{
	if (v == 0 || (v & (v - 1)))
		return -1;
	return __builtin_ctzll(v);
}

/* The names of the values a field of type t can have: "\"dealloc\", \"free\" or ...". */
static const char *value_names(unsigned t, char *buf, size_t n)
{
	const char *names[16];
	unsigned count = 0;
	if (t == HEAP_FT_MERGED) {
		for (unsigned fl = 1; fl <= 3; fl++)
			names[count++] = heap_merged_name(fl);
	} else if (t == HEAP_FT_OP) {
		for (unsigned op = 0; op < HEAP_OP_COUNT; op++)
			names[count++] = heap_misuse_op_name(op);
	} else if (t == HEAP_FT_POLICY) {
		for (unsigned pol = 0; pol < HEAP_POLICY_COUNT; pol++)
			names[count++] = heap_policy_name(pol);
	} else {
		for (unsigned e = 1; e < 16; e++)
			if (heap_misuse_error_name(e))
				names[count++] = heap_misuse_error_name(e);
		names[count++] = heap_misuse_error_name(0);
	}
	size_t o = 0;
	buf[0] = 0;
	for (unsigned i = 0; i < count && o < n; i++)
		o += (size_t)snprintf(buf + o, n - o, "%s\"%s\"",
		                      i == 0 ? "" : i + 1 == count ? " or " : ", ", names[i]);
	return buf;
}

/* The value of a string field decoded into dst (n bytes); false if it is longer. */
static bool field_string(const struct json_scan *s, int slot, char *dst, size_t n)
{
	json_unescape(s->s[slot], s->slen[slot], s->sesc[slot], dst, n);
	return s->slen[slot] < n;
}

/* Stores the scanned value of field f (in slot) into ev, for the types of
 * fields with names or rules (the plain numbers are stored inline by
 * trace_schema_event); false with err set. */
static __attribute__((noinline)) bool put_field(const struct json_scan *s, int slot,
                                                const struct heap_field *f,
                                                struct heap_event *ev, char *err,
                                                size_t errlen)
{
	uint64_t v = s->u[slot];
	char buf[120];
	switch (f->type) {
	case HEAP_FT_UINT:
	case HEAP_FT_INSTRET:
	case HEAP_FT_ADDR:
	case HEAP_FT_CODE:
	case HEAP_FT_STACK:
		if (f->width < 8 && v >> (8 * f->width)) {
			snprintf(err, errlen, "field '%s' out of range", f->name);
			return false;
		}
		heap_field_set(ev, f, v);
		return true;
	case HEAP_FT_ALIGN:
	case HEAP_FT_ALIGN_ANY: {
		if (f->type == HEAP_FT_ALIGN_ANY && v == 0) {
			ev->align_log2 = HEAP_MISUSE_ALIGN_BAD; /* the align given was no power of two */
			return true;
		}
		int l = log2_exact(v);
		if (l < 0) {
			snprintf(err, errlen, "field '%s': %" PRIu64 " is not a power of two", f->name,
			         v);
			return false;
		}
		heap_field_set(ev, f, (uint64_t)l);
		return true;
	}
	case HEAP_FT_MERGED:
		for (unsigned fl = 1; fl <= 3; fl++) {
			const char *m = heap_merged_name(fl);
			if (s->slen[slot] == strlen(m) && !memcmp(s->s[slot], m, s->slen[slot])) {
				ev->flags |= (uint8_t)fl;
				return true;
			}
		}
		break;
	case HEAP_FT_PANIC:
		ev->flags |= v ? HEAP_END_PANIC : 0;
		return true;
	case HEAP_FT_OP: {
		char op[16];
		int o = field_string(s, slot, op, sizeof op) ? heap_misuse_op_from_name(op) : -1;
		if (o < 0)
			break;
		ev->flags |= HEAP_MISUSE_FLAGS(o, 0);
		return true;
	}
	case HEAP_FT_ERROR: {
		char e[40];
		int x = field_string(s, slot, e, sizeof e) ? heap_misuse_error_from_name(e) : -1;
		if (x < 0)
			break;
		ev->flags |= HEAP_MISUSE_FLAGS(0, x);
		return true;
	}
	case HEAP_FT_POLICY: {
		char name[16];
		int x = field_string(s, slot, name, sizeof name) ? heap_policy_from_name(name) : -1;
		if (x < 0)
			break;
		ev->flags = (uint8_t)x;
		return true;
	}
	case HEAP_FT_NAME:
		/* any bytes are read (hardening), as a name the writer writes back
		 * unchanged: cut to 31 bytes, then what is not UTF-8 made '?' */
		json_unescape(s->s[slot], s->slen[slot], s->sesc[slot], ev->name, sizeof ev->name);
		utf8_sanitize(ev->name);
		return true;
	case HEAP_FT_KIND:
		return true;
	}
	snprintf(err, errlen, "field '%s': expected %s", f->name,
	         value_names(f->type, buf, sizeof buf));
	return false;
}

/* Names the first field of kind missing from s (common fields first). */
static __attribute__((noinline)) void lacks_field(const struct json_scan *s, int kind,
                                                  bool with_instret, char *err, size_t errlen)
{
	const struct heap_field *c = heap_event_common_fields();
	const struct heap_field *f = heap_event_fields((unsigned)kind);
	const char *name = "?";
	for (int i = 0; c[i].name && !strcmp(name, "?"); i++)
		if ((c[i].type != HEAP_FT_INSTRET || with_instret) &&
		    !(s->seen & (uint64_t)1 << schema.common[i]))
			name = c[i].name;
	for (int i = 0; f[i].name && !strcmp(name, "?"); i++)
		if (!heap_field_optional(&f[i]) && !(s->seen & (uint64_t)1 << schema.slot[kind][i]))
			name = f[i].name;
	snprintf(err, errlen, "%s event lacks field '%s'", heap_event_kind_name((unsigned)kind),
	         name);
}

bool trace_schema_event(const struct json_scan *s, int kind, bool with_instret,
                        struct heap_event *ev, char *err, size_t errlen)
{
	uint64_t need = schema.required[kind] | (with_instret ? schema.instret_bit : 0);
	if ((s->seen & need) != need) {
		lacks_field(s, kind, with_instret, err, errlen);
		return false;
	}
	memset(ev, 0, sizeof *ev);
	ev->kind = (uint8_t)kind;
	if (s->seen & schema.instret_bit)
		heap_field_set(ev, schema.instret, s->u[schema.instret_slot]);
	for (const struct step *st = schema.plan[kind]; st->slot >= 0; st++) {
		uint64_t v = s->u[st->slot];
		unsigned char *m = (unsigned char *)ev + st->offset;
		if (st->op == STEP_COPY8)
			memcpy(m, &v, 8);
		else if (st->op == STEP_ALIGN && v && !(v & (v - 1)))
			*m = (uint8_t)__builtin_ctzll(v);
		else if (!put_field(s, st->slot, st->f, ev, err, errlen))
			return false;
	}
	for (const struct step *st = schema.optional[kind]; st->slot >= 0; st++)
		if ((s->seen & (uint64_t)1 << st->slot) && !put_field(s, st->slot, st->f, ev, err, errlen))
			return false;
	const char *bad = trace_event_check(ev, with_instret);
	if (bad) {
		snprintf(err, errlen, "%s event: %s", heap_event_kind_name((unsigned)kind), bad);
		return false;
	}
	return true;
}

static bool has(const struct json_scan *s, int slot)
{
	return s->seen & (uint64_t)1 << slot;
}

/* The raw JSON value in slot parsed as an array (cJSON), or NULL. */
static cJSON *parse_array(const struct json_scan *s, int slot)
{
	cJSON *a = cJSON_ParseWithLength(s->s[slot], s->slen[slot]);
	if (a && !cJSON_IsArray(a)) {
		cJSON_Delete(a);
		return NULL;
	}
	return a;
}

/* The string member key of object o, dflt if absent; NULL if not a string. */
static const char *member_string(const cJSON *o, const char *key, const char *dflt)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
	if (!v)
		return dflt;
	return cJSON_IsString(v) ? v->valuestring : NULL;
}

bool trace_schema_symbol(const struct json_scan *s, struct trace_schema_sym *rec, char *err,
                         size_t errlen)
{
	if (!has(s, schema.sym_addr)) {
		snprintf(err, errlen, "sym record lacks field '" TRACE_SYM_ADDR "'");
		return false;
	}
	memset(&rec->sym, 0, sizeof rec->sym);
	rec->parse = NULL;
	rec->sym.addr = s->u[schema.sym_addr];
	snprintf(rec->fn, sizeof rec->fn, "??");
	snprintf(rec->src, sizeof rec->src, "??:0");
	if (has(s, schema.sym_fn))
		json_unescape(s->s[schema.sym_fn], s->slen[schema.sym_fn], s->sesc[schema.sym_fn],
		              rec->fn, sizeof rec->fn);
	if (has(s, schema.sym_src))
		json_unescape(s->s[schema.sym_src], s->slen[schema.sym_src],
		              s->sesc[schema.sym_src], rec->src, sizeof rec->src);
	rec->sym.fn = rec->fn;
	rec->sym.src = rec->src;
	rec->sym.inlined = rec->inlined;
	if (!has(s, schema.sym_inlined))
		return true;
	cJSON *a = parse_array(s, schema.sym_inlined);
	int n = a ? cJSON_GetArraySize(a) : 0;
	if (!a || n < 1 || n > TRACE_INLINED_MAX) {
		snprintf(err, errlen,
		         "sym record: '" TRACE_SYM_INLINED "' is not a list of 1 to %d objects with "
		         "\"" TRACE_SYM_FN "\" and \"" TRACE_SYM_SRC "\" strings",
		         TRACE_INLINED_MAX);
		cJSON_Delete(a);
		return false;
	}
	const cJSON *o;
	uint32_t i = 0;
	cJSON_ArrayForEach(o, a)
	{
		const char *fn = cJSON_IsObject(o) ? member_string(o, TRACE_SYM_FN, "??") : NULL;
		const char *src = cJSON_IsObject(o) ? member_string(o, TRACE_SYM_SRC, "??:0") : NULL;
		if (!fn || !src) {
			snprintf(err, errlen,
			         "sym record: inlined function %" PRIu32 " is not an object with "
			         "\"" TRACE_SYM_FN "\" and \"" TRACE_SYM_SRC "\" strings",
			         i + 1);
			cJSON_Delete(a);
			return false;
		}
		rec->inlined[i++] = (struct trace_inline){fn, src};
	}
	rec->sym.n_inlined = i;
	rec->parse = a;
	return true;
}

void trace_schema_symbol_done(struct trace_schema_sym *rec)
{
	cJSON_Delete(rec->parse);
	rec->parse = NULL;
}

bool trace_schema_stack(const struct json_scan *s, uint32_t *id, uint32_t *depth,
                        uint64_t frames[TRACE_STACK_DEPTH_MAX], char *err, size_t errlen)
{
	const char *lacks = !has(s, schema.stack_id)       ? TRACE_STACK_ID
	                    : !has(s, schema.stack_frames) ? TRACE_STACK_FRAMES
	                                                   : NULL;
	if (lacks) {
		snprintf(err, errlen, "stack record lacks field '%s'", lacks);
		return false;
	}
	uint64_t v = s->u[schema.stack_id];
	if (v == 0 || v > UINT32_MAX) {
		snprintf(err, errlen, "stack record: '" TRACE_STACK_ID "' %" PRIu64
		                      " is not 1 to 4294967295", v);
		return false;
	}
	*id = (uint32_t)v;
	cJSON *a = parse_array(s, schema.stack_frames);
	int n = a ? cJSON_GetArraySize(a) : 0;
	bool ok = a != NULL;
	if (ok && (n < 1 || n > TRACE_STACK_DEPTH_MAX)) {
		snprintf(err, errlen,
		         "stack record %" PRIu32 ": '" TRACE_STACK_FRAMES "' has %d frames (1 to %d "
		         "allowed)",
		         *id, n, TRACE_STACK_DEPTH_MAX);
		cJSON_Delete(a);
		return false;
	}
	const cJSON *f;
	uint32_t i = 0;
	cJSON_ArrayForEach(f, a)
	{
		if (!ok || !cJSON_IsString(f) ||
		    !json_hex_parse(f->valuestring, strlen(f->valuestring), &frames[i])) {
			ok = false;
			break;
		}
		i++;
	}
	cJSON_Delete(a);
	if (!ok) {
		snprintf(err, errlen,
		         "stack record %" PRIu32 ": '" TRACE_STACK_FRAMES "' is not a list of hex "
		         "addresses like \"0x80201a3c\"",
		         *id);
		return false;
	}
	*depth = i;
	return true;
}

/* ---- fields for tools ---------------------------------------------------------- */

const struct heap_field *trace_schema_field_at(unsigned kind, size_t offset)
{
	for (const struct heap_field *f = heap_event_fields(kind); f->name; f++)
		if (f->offset == offset)
			return f;
	return NULL;
}

const char *trace_schema_field_label(const struct heap_field *f, char *buf, size_t n)
{
	if (f->gloss)
		snprintf(buf, n, "%s (%s)", f->name, f->gloss);
	else
		snprintf(buf, n, "%s", f->name);
	return buf;
}

bool trace_schema_is_string(const struct heap_field *f)
{
	return json_type_of(f) == JSON_T_STR;
}

const char *trace_schema_value_text(const struct heap_event *ev, const struct heap_field *f,
                                    char *buf, size_t n)
{
	char tmp[TRACE_EVENT_LINE_MAX];
	size_t len = trace_format_field(tmp, ev, f);
	const char *p = tmp;
	if (json_type_of(f) == JSON_T_HEX) /* addresses without their quotes */
		p++, len -= 2;
	snprintf(buf, n, "%.*s", (int)len, p);
	return buf;
}

/* ---- the language both sides share ---------------------------------------------- */

const char *trace_event_check(const struct heap_event *ev, bool with_instret)
{
#define BIG(v) ((v) >= TRACE_INT_LIMIT)
#define HAS(t) (ru->types & 1u << (t))
	if (ev->kind >= HEAP_EV_COUNT)
		return "unknown event kind";
	if (BIG(ev->seq))
		return "sequence number of 2^53 or more";
	if (BIG(ev->time) || (with_instret && BIG(ev->instret)))
		return "time or instret of 2^53 or more";
	pthread_once(&schema_once, schema_build);
	const struct rules *ru = &schema.rules[ev->kind];
	if (HAS(HEAP_FT_MERGED) && (ev->flags < 1 || ev->flags > 3))
		return "coalesce that merged no neighbour (or unknown merge flags)";
	if (HAS(HEAP_FT_PANIC) && (ev->flags & ~HEAP_END_PANIC))
		return "unknown flags on an end event";
	if (HAS(HEAP_FT_POLICY) && ev->flags >= HEAP_POLICY_COUNT)
		return "init of an unknown allocator policy";
	if ((HAS(HEAP_FT_OP) || HAS(HEAP_FT_ERROR)) &&
	    (HEAP_MISUSE_OP(ev->flags) >= HEAP_OP_COUNT ||
	     !heap_misuse_error_name(HEAP_MISUSE_ERROR(ev->flags))))
		return "misuse of an unknown operation or error";
	if (HAS(HEAP_FT_NAME)) {
		const unsigned char *q = (const unsigned char *)ev->name;
		size_t i = 0;
		while (i < HEAP_MARKER_NAME_MAX && q[i]) {
			size_t k = utf8_sequence(q + i);
			if (k == 0 || i + k > HEAP_MARKER_NAME_MAX)
				return "marker name that is not well-formed UTF-8";
			i += k;
		}
		if (q[i])
			return "marker name longer than 31 bytes";
	}
	bool big = false;
	for (unsigned i = 0; i < ru->nbig; i++) {
		uint64_t v;
		memcpy(&v, (const unsigned char *)ev + ru->big[i], 8);
		big |= BIG(v);
	}
	if (big)
		return "a size or count of 2^53 or more";
	if ((HAS(HEAP_FT_ALIGN) && ev->align_log2 > 52) ||
	    (HAS(HEAP_FT_ALIGN_ANY) && ev->align_log2 != HEAP_MISUSE_ALIGN_BAD && ev->align_log2 > 52))
		return "an alignment of 2^53 or more";
	return NULL;
#undef HAS
#undef BIG
}

const char *trace_end_check(const struct heap_event *end, uint64_t dropped, char *buf, size_t n)
{
	if (end->size != end->seq + 1)
		snprintf(buf, n,
		         "the end event counts %" PRIu64 " events, but its sequence number %" PRIu64
		         " says %" PRIu64,
		         end->size, end->seq, end->seq + 1);
	else if (end->size2 != dropped)
		snprintf(buf, n,
		         "the end event counts %" PRIu64 " dropped events, the drop events %" PRIu64,
		         end->size2, dropped);
	else
		return NULL;
	return buf;
}

const char *trace_order_check(struct trace_order *o, const struct heap_event *ev, char *buf,
                              size_t n)
{
	if (o->any && ev->seq <= o->prev_seq) {
		snprintf(buf, n, "sequence number %" PRIu64 " does not follow %" PRIu64, ev->seq,
		         o->prev_seq);
		return buf;
	}
	if (ev->kind == HEAP_EV_DROP)
		o->dropped += ev->size;
	if (ev->kind == HEAP_EV_END && trace_end_check(ev, o->dropped, buf, n))
		return buf;
	o->any = true;
	o->prev_seq = ev->seq;
	return NULL;
}
