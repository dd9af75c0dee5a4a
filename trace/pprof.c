/* pprof.c - a summarised trace's call stacks as a gzipped pprof profile (pprof.h).
 *
 * The profile is built as protobuf-c messages in a few arrays sized up front (samples, one
 * location per frame address, lines, functions, strings), packed by libprotobuf-c into one
 * buffer, and written through zlib's gzip stream format.
 */
#include "pprof.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "profile.pb-c.h"
#include "u64_map.h"
#include "utf8.h"

/* The sample types: [type, unit] and the call-stack figure each one carries. */
static const struct {
	const char *type, *unit;
	enum cs_field field;
} sample_types[] = {
    {"alloc_objects", "count", CS_ALLOCS},        {"alloc_space", "bytes", CS_BYTES},
    {"peak_objects", "count", CS_PEAK_BLOCKS},    {"peak_space", "bytes", CS_PEAK},
    {"inuse_objects", "count", CS_LEAKED_BLOCKS}, {"inuse_space", "bytes", CS_LEAKED},
    {"temporary_objects", "count", CS_TEMPORARY}, {"failed_objects", "count", CS_FAILED},
};
#define N_TYPES      (sizeof sample_types / sizeof sample_types[0])
#define DEFAULT_TYPE "peak_space"

typedef Perftools__Profiles__Profile Profile;
typedef Perftools__Profiles__ValueType ValueType;
typedef Perftools__Profiles__Sample Sample;
typedef Perftools__Profiles__Mapping Mapping;
typedef Perftools__Profiles__Location Location;
typedef Perftools__Profiles__Line Line;
typedef Perftools__Profiles__Function Function;

/* Everything the profile's messages point into; freed at once by builder_free. */
struct builder {
	char **str; /* the string table (owned copies), str[0] = "" */
	size_t nstr, capstr;
	struct u64_map str_index; /* hash of a string -> its index (verified: collisions add) */
	Function *fn;
	Function **fnp;
	size_t nfn;
	struct u64_map fn_index; /* hash of (name, file) -> index in fn (verified) */
	Location *loc;
	Location **locp;
	size_t nloc;
	struct u64_map loc_index; /* frame address -> index in loc */
	Line *line;
	Line **linep;
	size_t nline;
	Sample *sample;
	Sample **samplep;
	uint64_t *loc_ids; /* every sample's location ids */
	int64_t *values;   /* every sample's values */
	size_t nsample;
	ValueType types[N_TYPES + 1]; /* the sample types, then the period type */
	ValueType *typep[N_TYPES];
	Mapping mapping;
	Mapping *mappingp;
	int64_t comment[3];
};

static uint64_t hash_str(const char *s, uint64_t h)
{
	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 0x100000001b3ull; /* FNV-1a */
	return h;
}
#define HASH_SEED 0xcbf29ce484222325ull

/* The string table index of text (cleaned to UTF-8), added if new; -1 when out of memory. */
static int64_t str_id(struct builder *b, const char *text)
{
	char buf[512];
	snprintf(buf, sizeof buf, "%s", text);
	utf8_sanitize(buf);
	uint64_t h = hash_str(buf, HASH_SEED);
	uint32_t i = u64_map_get(&b->str_index, h);
	if (i != U64_MAP_NONE && !strcmp(b->str[i], buf))
		return i;
	if (b->nstr == b->capstr) {
		size_t cap = b->capstr ? 2 * b->capstr : 256;
		char **s = realloc(b->str, cap * sizeof *s);
		if (!s)
			return -1;
		b->str = s;
		b->capstr = cap;
	}
	char *copy = strdup(buf);
	if (!copy)
		return -1;
	/* a hash collision (other text, same hash) keeps the first mapping: a duplicate entry */
	if (i == U64_MAP_NONE && !u64_map_put(&b->str_index, h, (uint32_t)b->nstr)) {
		free(copy);
		return -1;
	}
	b->str[b->nstr] = copy;
	return (int64_t)b->nstr++;
}

/* The line number of "file:line" (0 if none), and the file's length. */
static int64_t src_line(const char *src, size_t *file_len)
{
	const char *colon = strrchr(src, ':');
	*file_len = colon ? (size_t)(colon - src) : strlen(src);
	return colon ? strtoll(colon + 1, NULL, 10) : 0;
}

/* The id of the function named fn in src's file, added if new; 0 when out of memory. */
static uint64_t function_id(struct builder *b, const char *fn, const char *src)
{
	size_t flen;
	src_line(src, &flen);
	char file[512];
	snprintf(file, sizeof file, "%.*s", (int)(flen < sizeof file ? flen : sizeof file - 1),
	         src);
	int64_t name = str_id(b, fn), filename = str_id(b, file);
	if (name < 0 || filename < 0)
		return 0;
	uint64_t h = (uint64_t)name * 0x9e3779b97f4a7c15ull ^ (uint64_t)filename;
	uint32_t i = u64_map_get(&b->fn_index, h);
	if (i != U64_MAP_NONE && b->fn[i].name == name && b->fn[i].filename == filename)
		return b->fn[i].id;
	Function *f = &b->fn[b->nfn];
	perftools__profiles__function__init(f);
	f->id = b->nfn + 1;
	f->name = f->system_name = name;
	f->filename = filename;
	if (i == U64_MAP_NONE && !u64_map_put(&b->fn_index, h, (uint32_t)b->nfn))
		return 0;
	b->fnp[b->nfn++] = f;
	return f->id;
}

/* Adds one line (function and line number) to location l. False when out of memory. */
static bool add_line(struct builder *b, Location *l, const char *fn, const char *src)
{
	size_t flen;
	Line *ln = &b->line[b->nline];
	perftools__profiles__line__init(ln);
	ln->function_id = function_id(b, fn, src);
	ln->line = src_line(src, &flen);
	if (!ln->function_id)
		return false;
	b->linep[b->nline++] = ln;
	l->n_line++;
	return true;
}

/* The location id of a frame address, added with its lines if new; 0 when out of memory. */
static uint64_t location_id(struct builder *b, const callstacks *c, uint64_t addr)
{
	uint32_t i = u64_map_get(&b->loc_index, addr);
	if (i != U64_MAP_NONE)
		return b->loc[i].id;
	const struct callstack_frame *f = callstacks_frame(c, addr);
	Location *l = &b->loc[b->nloc];
	perftools__profiles__location__init(l);
	l->id = b->nloc + 1;
	l->mapping_id = 1;
	l->address = addr;
	l->line = &b->linep[b->nline];
	char name[32];
	const char *fn = f->fn;
	if (!addr)
		fn = "unknown caller";
	else if (!strcmp(fn, "??")) /* unnamed frames stay apart: named by address */
		snprintf(name, sizeof name, "0x%" PRIx64, addr), fn = name;
	if (!add_line(b, l, fn, f->src))
		return 0;
	for (uint32_t k = 0; k < f->n_inlined; k++)
		if (!add_line(b, l, f->inlined[k].fn, f->inlined[k].src))
			return 0;
	if (!u64_map_put(&b->loc_index, addr, (uint32_t)b->nloc))
		return 0;
	b->locp[b->nloc++] = l;
	return l->id;
}

static void builder_free(struct builder *b)
{
	for (size_t i = 0; i < b->nstr; i++)
		free(b->str[i]);
	free(b->str);
	u64_map_free(&b->str_index);
	u64_map_free(&b->fn_index);
	u64_map_free(&b->loc_index);
	free(b->fn);
	free(b->fnp);
	free(b->loc);
	free(b->locp);
	free(b->line);
	free(b->linep);
	free(b->sample);
	free(b->samplep);
	free(b->loc_ids);
	free(b->values);
}

/* Sizes the arrays for c's stacks. False when out of memory. */
static bool builder_alloc(struct builder *b, const callstacks *c)
{
	size_t n = callstacks_count(c), frames = 0, lines = 0;
	for (size_t i = 0; i < n; i++) {
		const struct callstack_site *s = callstacks_site(c, i);
		frames += s->depth;
		for (uint32_t d = 0; d < s->depth; d++)
			lines += 1 + callstacks_frame(c, s->frames[d])->n_inlined;
	}
	n = n ? n : 1;
	frames = frames ? frames : 1;
	lines = lines ? lines : 1;
	b->fn = malloc(lines * sizeof *b->fn);
	b->fnp = malloc(lines * sizeof *b->fnp);
	b->loc = malloc(frames * sizeof *b->loc);
	b->locp = malloc(frames * sizeof *b->locp);
	b->line = malloc(lines * sizeof *b->line);
	b->linep = malloc(lines * sizeof *b->linep);
	b->sample = malloc(n * sizeof *b->sample);
	b->samplep = malloc(n * sizeof *b->samplep);
	b->loc_ids = malloc(frames * sizeof *b->loc_ids);
	b->values = malloc(n * N_TYPES * sizeof *b->values);
	return b->fn && b->fnp && b->loc && b->locp && b->line && b->linep && b->sample &&
	       b->samplep && b->loc_ids && b->values && str_id(b, "") == 0;
}

/* The one mapping: the kernel image over the code addresses seen, [lo, hi]. */
static void mapping_init(Mapping *m, const struct trace_summary *s, uint64_t lo, uint64_t hi,
                         struct builder *b)
{
	perftools__profiles__mapping__init(m);
	m->id = 1;
	m->memory_start = lo <= hi ? lo : 0;
	m->memory_limit = hi + 1 > hi ? hi + 1 : hi;
	m->filename = str_id(b, s->header.elf[0] ? s->header.elf : "kernel");
	m->has_functions = m->has_filenames = m->has_line_numbers = m->has_inline_frames = true;
}

/* Fills p from the summary. False when out of memory. */
static bool build(struct builder *b, Profile *p, const struct trace_summary *s)
{
	const callstacks *c = s->stacks;
	if (!builder_alloc(b, c))
		return false;
	for (size_t t = 0; t < N_TYPES; t++) {
		perftools__profiles__value_type__init(&b->types[t]);
		b->types[t].type = str_id(b, sample_types[t].type);
		b->types[t].unit = str_id(b, sample_types[t].unit);
		b->typep[t] = &b->types[t];
	}
	ValueType *period = &b->types[N_TYPES];
	perftools__profiles__value_type__init(period);
	period->type = str_id(b, "space");
	period->unit = str_id(b, "bytes");
	uint64_t lo = UINT64_MAX, hi = 0;
	size_t nids = 0;
	for (size_t i = 0; i < callstacks_count(c); i++) {
		const struct callstack_site *site = callstacks_site(c, i);
		bool any = false;
		for (size_t t = 0; t < N_TYPES; t++)
			any |= site->v[sample_types[t].field] != 0;
		if (!any)
			continue;
		Sample *sm = &b->sample[b->nsample];
		perftools__profiles__sample__init(sm);
		sm->location_id = &b->loc_ids[nids];
		for (uint32_t d = 0; d < site->depth; d++) {
			uint64_t addr = site->frames[d];
			if (!(b->loc_ids[nids++] = location_id(b, c, addr)))
				return false;
			if (addr && addr < lo)
				lo = addr;
			if (addr > hi)
				hi = addr;
		}
		sm->n_location_id = site->depth;
		sm->value = &b->values[b->nsample * N_TYPES];
		sm->n_value = N_TYPES;
		for (size_t t = 0; t < N_TYPES; t++) /* every figure is below 2^63 */
			sm->value[t] = (int64_t)site->v[sample_types[t].field];
		b->samplep[b->nsample++] = sm;
	}
	/* the comments: which trace, whether all of it, and when the peak was */
	char text[512];
	snprintf(text, sizeof text,
	         "heapscope trace: workload %s, %s channel, stack depth %" PRIu32,
	         s->header.workload[0] ? s->header.workload : "?", s->header.channel,
	         s->header.stack_depth);
	b->comment[0] = str_id(b, text);
	snprintf(text, sizeof text, "%s",
	         !s->complete ? "INCOMPLETE: no end event, the run was cut short; figures cover "
	                        "the events present"
	         : s->panic   ? "PANIC: the run ended in a panic; the trace stops there"
	         : s->dropped ? "complete, but events were dropped: figures are approximate"
	                      : "complete");
	b->comment[1] = str_id(b, text);
	snprintf(text, sizeof text,
	         "peak_*: live at the peak (event %" PRIu64 ", %" PRIu64
	         " bytes used); inuse_*: live at the end",
	         s->peak_used_seq, s->peak_used);
	b->comment[2] = str_id(b, text);
	mapping_init(&b->mapping, s, lo, hi, b);
	if (b->comment[0] < 0 || b->comment[1] < 0 || b->comment[2] < 0 || b->mapping.filename < 0)
		return false;
	b->mappingp = &b->mapping;
	p->n_sample_type = N_TYPES;
	p->sample_type = b->typep;
	p->n_sample = b->nsample;
	p->sample = b->samplep;
	p->n_mapping = 1;
	p->mapping = &b->mappingp;
	p->n_location = b->nloc;
	p->location = b->locp;
	p->n_function = b->nfn;
	p->function = b->fnp;
	p->n_string_table = b->nstr;
	p->string_table = b->str;
	p->period_type = period;
	p->period = 1;
	p->n_comment = 3;
	p->comment = b->comment;
	p->default_sample_type = str_id(b, DEFAULT_TYPE);
	p->string_table = b->str; /* str_id may have moved it */
	p->n_string_table = b->nstr;
	if (s->header.time_hz && s->last_time >= s->first_time) {
		double ns = (double)(s->last_time - s->first_time) * 1e9 / (double)s->header.time_hz;
		p->duration_nanos = ns < 9e18 ? (int64_t)ns : INT64_MAX; /* any trace's times */
	}
	return p->default_sample_type > 0;
}

/* Writes len bytes of data to out in gzip's format. False, with why in err, on failure. */
static bool gzip_write(FILE *out, const uint8_t *data, size_t len, char *err, size_t errlen)
{
	z_stream z = {0};
	if (deflateInit2(&z, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 15 + 16 /* gzip header */, 8,
	                 Z_DEFAULT_STRATEGY) != Z_OK) {
		snprintf(err, errlen, "out of memory (zlib)");
		return false;
	}
	uint8_t buf[16384];
	z.next_in = (uint8_t *)data;
	z.avail_in = (uInt)len; /* a profile is far below 4 GiB */
	int rc;
	do {
		z.next_out = buf;
		z.avail_out = sizeof buf;
		rc = deflate(&z, Z_FINISH);
		size_t have = sizeof buf - z.avail_out;
		if ((rc != Z_OK && rc != Z_STREAM_END) || fwrite(buf, 1, have, out) != have) {
			deflateEnd(&z);
			snprintf(err, errlen, "writing the profile failed");
			return false;
		}
	} while (rc != Z_STREAM_END);
	deflateEnd(&z);
	return true;
}

bool pprof_write(FILE *out, const struct trace_summary *s, char *err, size_t errlen)
{
	struct builder b = {0};
	Profile p;
	perftools__profiles__profile__init(&p);
	bool ok = false;
	uint8_t *packed = NULL;
	if (!s->stacks || !build(&b, &p, s)) {
		snprintf(err, errlen, "out of memory");
		goto out;
	}
	size_t len = perftools__profiles__profile__get_packed_size(&p);
	packed = malloc(len ? len : 1);
	if (!packed) {
		snprintf(err, errlen, "out of memory (%zu bytes of profile)", len);
		goto out;
	}
	perftools__profiles__profile__pack(&p, packed);
	ok = gzip_write(out, packed, len, err, errlen);
out:
	free(packed);
	builder_free(&b);
	return ok;
}
