# trace/fuzz/fuzz.mk - libFuzzer targets for every parser of untrusted input
# (trace/fuzz/fuzz_*.c, one target a file), `make fuzz`, and the smoke test that
# `make test` runs over their corpora and regression inputs.
#
#   make fuzz [FUZZ_SECONDS=60] [FUZZ_TARGETS="fuzz_wire ..."]
#
# Built with clang (libFuzzer + ASan + UBSan) into $(BUILD)/fuzz/; the sources
# they test are compiled again here, with the fuzzer's coverage instrumentation.

FUZZ_CC      ?= clang
FUZZ_SECONDS ?= 60             # seconds each target runs in `make fuzz`
FUZZ_SECONDS := $(strip $(FUZZ_SECONDS))
FUZZ_ALL     := $(sort $(basename $(notdir $(wildcard trace/fuzz/fuzz_*.c))))
FUZZ_TARGETS ?= $(FUZZ_ALL)
FUZZ_CFLAGS  := -std=c11 -O1 -g -Wall -Wextra -D_GNU_SOURCE -Ikernel -Itrace \
                -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer \
                -DREAD_CHUNK=4096u -I$(PPROF_GEN)
# READ_CHUNK: the trace reader's read(2) size (trace/line_input.c). Small, so
# that small inputs reach its refill and grow paths, and its buffer is not a
# large allocation that AddressSanitizer maps and unmaps for every input
# everything heaptrace is made of but its main(): the host library
# (HOSTLIB_SRCS, trace/trace.mk) and every subcommand (found through their
# linker section, trace/commands.h)
FUZZ_LIB_SRCS := $(HOSTLIB_SRCS) $(sort $(wildcard trace/cmd_*.c))
FUZZ_LIB_OBJS := $(patsubst %.c,$(BUILD)/fuzz/obj/%.o,$(FUZZ_LIB_SRCS))
FUZZ_BINS     := $(addprefix $(BUILD)/fuzz/,$(FUZZ_ALL))

$(BUILD)/fuzz/obj/trace/pprof.o: $(PPROF_GEN)/profile.pb-c.h
$(BUILD)/fuzz/obj/%.o: %.c | $(SETUP_STAMP)
	@mkdir -p $(@D)
	@echo "  CC/FUZZ $<"
	$(Q)$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link -MMD -MP -c -o $@ $<

$(FUZZ_BINS): $(BUILD)/fuzz/%: $(BUILD)/fuzz/obj/trace/fuzz/%.o $(FUZZ_LIB_OBJS)
	@echo "  LD/FUZZ $@"
	$(Q)$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer -o $@ $^ -lcjson $(PPROF_LIBS) -lm -lpthread

# make fuzz: each target for FUZZ_SECONDS on a scratch copy of its corpus (the
# committed corpus does not grow); prints execs/s and any crash, which is left
# in $(BUILD)/fuzz/crashes/TARGET/. Non-zero if a target crashed.
fuzz: $(addprefix $(BUILD)/fuzz/,$(FUZZ_TARGETS))
	@BUILD=$(BUILD) trace/fuzz/run.sh $(FUZZ_SECONDS) $(FUZZ_TARGETS)

# make test: every target over its corpus and regression inputs, then a few seconds of fuzzing
SCRIPT_TESTS += trace/fuzz/smoke.sh
TEST_DEPS    += $(FUZZ_BINS)
