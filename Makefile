# e2lua -- a debugfs-like shell for ext2/3/4 images with Lua 5.4.
#
#   make            build ./e2lua and build/e2.so (the Lua module)
#   make deps       install the missing Debian packages (as root)
#   make demo       build and run the demo on an image it makes itself
#   make check      build and run every test (SANITIZE=1: under ASan/UBSan)
#   make bench      benchmark against debugfs and e2fsck (slow)
#   make crash-test every crash point of the crash harness (slow)
#   make fuzz       run the libFuzzer harness for FUZZ_SECONDS
#   make check-e2fsprogs-images E2FSPROGS_GIT=DIR
#                   e2lua over e2fsprogs' test images (with SANITIZE=1)
#   make install PREFIX=/usr/local
#
# A plain make installs nothing: it checks the libraries with pkg-config
# and prints the apt-get line for what is missing.  make deps, and make
# demo and make check (the README's two commands), install missing Debian
# packages when run as root.

PKGS     := ext2fs e2p com_err lua5.4 readline libcrypto libxxhash blkid uuid jansson
CC       ?= cc
CFLAGS   ?= -O2 -g
PREFIX   ?= /usr/local
BUILD    := build

# Where a stock lua5.4 looks (Debian's default package.path and cpath
# start with /usr/local/share/lua/5.4/ and /usr/local/lib/lua/5.4/).
LUA_VERSION := 5.4
LUA_LDIR  = $(PREFIX)/share/lua/$(LUA_VERSION)
LUA_CDIR  = $(PREFIX)/lib/lua/$(LUA_VERSION)
DOCDIR    = $(PREFIX)/share/doc/e2lua

# Expanded once, when first used (after the libs check).  libcrypto and
# readline are built against but not linked: loaded when first needed
# (dlopen, in glibc's libc since 2.34; core/content.c, shell/readline.c),
# as linked they cost 1.4 and 0.3 MiB resident to every run.
DLOPENED   := libcrypto readline
PKG_CFLAGS = $(eval PKG_CFLAGS := $$(shell pkg-config --cflags $(PKGS)))$(PKG_CFLAGS)
PKG_LIBS   = $(eval PKG_LIBS := $$(shell pkg-config --libs $(filter-out $(DLOPENED),$(PKGS))))$(PKG_LIBS)
CORE_LIBS  = $(eval CORE_LIBS := $$(shell pkg-config --libs ext2fs e2p com_err libxxhash blkid))$(CORE_LIBS)

# Warnings are errors where they must fail (make check, CI: WERROR=1,
# the default for make check), not in a user's build.
ifneq ($(filter check,$(MAKECMDGOALS)),)
WERROR   ?= 1
endif
export WERROR
WARN     := -Wall -Wextra
ifeq ($(WERROR),1)
WARN     += -Werror
endif

# -fvisibility=hidden: e2.so exports luaopen_e2 alone (bindings/e2lua.h).
DEPFLAGS  := -MMD -MP
ALL_CFLAGS = -std=gnu11 $(WARN) -fPIC -fvisibility=hidden -D_GNU_SOURCE \
	$(PKG_CFLAGS) -Icore -Ibindings $(CFLAGS)
ifeq ($(SANITIZE),1)
ALL_CFLAGS += -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined
LDFLAGS  += -fsanitize=address,undefined
endif

# The build flags, recorded: when they change (CC, CFLAGS, LDFLAGS,
# SANITIZE) or the Makefile, everything is built again, as redis's
# .make-settings does.
# A -Werror build also rebuilds objects a plain build made without it
# (the stamp says every object was compiled with -Werror).
SETTINGS      := CC=$(CC) CFLAGS=$(CFLAGS) LDFLAGS=$(LDFLAGS) SANITIZE=$(SANITIZE)
SETTINGS_FILE := $(BUILD)/.make-settings
WERROR_STAMP  := $(BUILD)/.werror
ifeq ($(WERROR),1)
ifeq ($(wildcard $(WERROR_STAMP)),)
SETTINGS_CHANGED := 1
endif
NOT_WERROR :=
else
NOT_WERROR = @rm -f $(WERROR_STAMP)
endif
ifneq ($(file <$(SETTINGS_FILE)),$(SETTINGS))
SETTINGS_CHANGED := 1
endif
ifeq ($(SETTINGS_CHANGED),1)
$(shell mkdir -p $(BUILD))
$(file >$(SETTINGS_FILE),$(SETTINGS))
ifeq ($(WERROR),1)
$(shell touch $(WERROR_STAMP))
endif
endif

CORE_SRC  := $(wildcard core/*.c)
BIND_SRC  := $(wildcard bindings/*.c)
SHELL_SRC := $(wildcard shell/*.c)
CORE_OBJ  := $(CORE_SRC:%.c=$(BUILD)/%.o)
BIND_OBJ  := $(BIND_SRC:%.c=$(BUILD)/%.o)
SHELL_OBJ := $(SHELL_SRC:%.c=$(BUILD)/%.o)

UNIT_SRC  := $(wildcard tests/unit/*.c)
UNIT_OBJ  := $(UNIT_SRC:%.c=$(BUILD)/%.o)
UNIT_BIN  := $(UNIT_SRC:tests/unit/%.c=$(BUILD)/tests/%)
CRASH_SRC := tests/crash/crashmig.c tests/crash/crash_io.c
CRASH_OBJ := $(CRASH_SRC:%.c=$(BUILD)/%.o)

.PHONY: all libs deps deps-check deps-bench demo check bench crash-test fuzz install clean \
	check-e2fsprogs-images

all: libs e2lua $(BUILD)/e2.so

# Checks only (pkg-config), never installs.
libs:
	@sh tools/deps.sh libs $(PKGS)
deps:
	@sh tools/deps.sh build
deps-check:
	@sh tools/deps.sh check
deps-bench:
	@sh tools/deps.sh bench
# The README's two commands install what is missing before building.
ifneq ($(filter demo check,$(MAKECMDGOALS)),)
libs: deps-check
endif

$(BUILD)/%.o: %.c $(SETTINGS_FILE) Makefile | libs
	@mkdir -p $(dir $@)
	$(NOT_WERROR)
	$(CC) $(ALL_CFLAGS) $(DEPFLAGS) -c -o $@ $<

$(BUILD)/libe2core.a: $(CORE_OBJ)
	rm -f $@
	ar rcs $@ $^

e2lua: $(SHELL_OBJ) $(BIND_OBJ) $(BUILD)/libe2core.a
	$(CC) $(ALL_CFLAGS) $(LDFLAGS) -o $@ $(SHELL_OBJ) $(BIND_OBJ) $(BUILD)/libe2core.a $(PKG_LIBS)

# The module for a stock lua5.4: the interpreter provides the Lua symbols.
$(BUILD)/e2.so: $(BIND_OBJ) $(BUILD)/libe2core.a
	$(CC) $(ALL_CFLAGS) $(LDFLAGS) -shared -o $@ $(BIND_OBJ) $(BUILD)/libe2core.a $(CORE_LIBS) \
		$(shell pkg-config --libs jansson)

$(UNIT_BIN): $(BUILD)/tests/%: $(BUILD)/tests/unit/%.o $(BUILD)/libe2core.a
	$(CC) $(ALL_CFLAGS) $(LDFLAGS) -o $@ $(filter %.o,$^) $(BUILD)/libe2core.a $(CORE_LIBS)
# Failing commits, through the crash harness's io_manager.
$(BUILD)/tests/test_commitfail: $(BUILD)/tests/crash/crash_io.o

# Test tools: the crash-test driver with its io_manager (never linked into
# e2lua), the library that sends a SIGINT at a chosen I/O call (preloaded
# by tests/lib.sh's sigint_at: never sanitized, so that it preloads into
# any build, and its functions stay visible), and the libFuzzer harness
# over the core built with clang.
CRASH_BIN := $(BUILD)/crash/crashmig
$(CRASH_BIN): $(CRASH_OBJ) $(BUILD)/libe2core.a
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $(LDFLAGS) -o $@ $(CRASH_OBJ) $(BUILD)/libe2core.a $(CORE_LIBS)

SIGINT_LIB := $(BUILD)/testlib/sigint_at.so
$(SIGINT_LIB): tests/sigint/sigint_at.c $(SETTINGS_FILE) Makefile | libs
	@mkdir -p $(dir $@)
	$(NOT_WERROR)
	$(CC) -std=gnu11 $(WARN) -fPIC $(CFLAGS) $(DEPFLAGS) -shared -o $@ $< -ldl

FUZZ_BIN := $(BUILD)/fuzz/fuzz_e2c
FUZZ_SAN := -fsanitize=address,undefined -fno-sanitize-recover=undefined \
	-fno-omit-frame-pointer -g -O1
FUZZ_CFLAGS = -std=gnu11 $(WARN) -D_GNU_SOURCE $(shell pkg-config --cflags ext2fs com_err) -Icore
FUZZ_SRC := tests/fuzz/fuzz_e2c.c $(CORE_SRC)
$(BUILD)/fuzzer/%.o: %.c $(SETTINGS_FILE) Makefile | libs
	@mkdir -p $(dir $@)
	$(NOT_WERROR)
	clang $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link $(FUZZ_SAN) $(DEPFLAGS) -c -o $@ $<
$(FUZZ_BIN): $(FUZZ_SRC:%.c=$(BUILD)/fuzzer/%.o)
	clang -fsanitize=fuzzer $(FUZZ_SAN) -o $@ $^ $(CORE_LIBS)
# The same harness as a plain program, the core compiled with it under
# ASan/UBSan: runs the regression inputs once each (make check).
FUZZ_REGRESS := $(BUILD)/fuzz/fuzz_regress
$(BUILD)/fuzzsan/%.o: %.c $(SETTINGS_FILE) Makefile | libs
	@mkdir -p $(dir $@)
	$(NOT_WERROR)
	$(CC) $(FUZZ_CFLAGS) -DFUZZ_STANDALONE $(FUZZ_SAN) $(DEPFLAGS) -c -o $@ $<
$(FUZZ_REGRESS): $(FUZZ_SRC:%.c=$(BUILD)/fuzzsan/%.o)
	@mkdir -p $(dir $@)
	$(CC) $(FUZZ_SAN) -o $@ $^ $(CORE_LIBS)

-include $(wildcard $(BUILD)/*/*.d $(BUILD)/*/*/*.d $(BUILD)/*/*/*/*.d)

demo: deps-check all
	sh tools/demo.sh

check: deps-check all $(UNIT_BIN) $(CRASH_BIN) $(FUZZ_REGRESS) $(SIGINT_LIB)
	sh tests/run.sh

# The bench's floor probe: libext2fs alone reading every inode and map.
FLOOR_BIN := $(BUILD)/benchtools/floor
$(FLOOR_BIN): tests/bench/floor.c $(BUILD)/libe2core.a
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $(LDFLAGS) -o $@ $< $(BUILD)/libe2core.a $(CORE_LIBS)

bench: deps-bench all $(CRASH_BIN) $(FLOOR_BIN)
	sh tests/bench/bench.sh

crash-test: deps-check all $(CRASH_BIN)
	CRASH_ALL=1 sh tests/run.sh crash

fuzz: deps-check $(FUZZ_BIN)
	sh tests/fuzz/run.sh

# Read-only commands and a dry run over every test image of an e2fsprogs
# git repository (skipped, saying so, without E2FSPROGS_GIT).
check-e2fsprogs-images: deps-check all
	E2FSPROGS_GIT="$(E2FSPROGS_GIT)" sh tests/e2fsprogs_images.sh

# The program and its scripts; the module e2 and the Lua modules
# (e2.policy...) where a stock lua5.4 finds them; the manual and the
# documents it names.
install: all
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/share/e2lua/scripts \
		$(DESTDIR)$(PREFIX)/share/man/man1 $(DESTDIR)$(LUA_CDIR) \
		$(DESTDIR)$(LUA_LDIR) $(DESTDIR)$(DOCDIR)
	install -m 755 e2lua $(DESTDIR)$(PREFIX)/bin/e2lua
	cp -R scripts/. $(DESTDIR)$(PREFIX)/share/e2lua/scripts/
	cp -R scripts/lib/. $(DESTDIR)$(LUA_LDIR)/
	install -m 755 $(BUILD)/e2.so $(DESTDIR)$(LUA_CDIR)/e2.so
	install -m 644 doc/e2lua.1 $(DESTDIR)$(PREFIX)/share/man/man1/e2lua.1
	install -m 644 README.md doc/*.md $(DESTDIR)$(DOCDIR)/

clean:
	rm -rf $(BUILD) e2lua
