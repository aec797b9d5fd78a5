# e2lua -- a debugfs-like shell for ext2/3/4 images with Lua 5.4.
#
#   make            build ./e2lua and build/e2.so (the Lua module)
#   make demo       build and run the demo on an image it makes itself
#   make check      build and run every test (SANITIZE=1: under ASan/UBSan)
#   make bench      benchmark against debugfs and e2fsck (slow)
#   make crash-test every crash point of the crash harness (slow)
#   make fuzz       run the libFuzzer harness for FUZZ_SECONDS
#   make check-e2fsprogs-images E2FSPROGS_GIT=DIR
#                   e2lua over e2fsprogs' test images (with SANITIZE=1)
#   make install PREFIX=/usr/local
#
# The deps step installs missing Debian packages as root, or says exactly
# what to install.

PKGS     := ext2fs e2p com_err lua5.4 readline libcrypto libxxhash blkid uuid jansson
CC       ?= cc
CFLAGS   ?= -O2 -g
PREFIX   ?= /usr/local
BUILD    := build

# pkg-config runs only after tools/deps.sh made sure it and the packages exist.
PKG_CFLAGS = $(shell pkg-config --cflags $(PKGS))
PKG_LIBS   = $(shell pkg-config --libs $(PKGS))
CORE_LIBS  = $(shell pkg-config --libs ext2fs com_err libcrypto libxxhash blkid)

WARN     := -Wall -Wextra -Werror
ALL_CFLAGS = -std=gnu11 $(WARN) -fPIC -D_GNU_SOURCE $(PKG_CFLAGS) -Icore -Ibindings $(CFLAGS)
ifeq ($(SANITIZE),1)
ALL_CFLAGS += -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined
LDFLAGS  += -fsanitize=address,undefined
endif

CORE_SRC  := $(wildcard core/*.c)
BIND_SRC  := $(wildcard bindings/*.c)
SHELL_SRC := $(wildcard shell/*.c)
CORE_OBJ  := $(CORE_SRC:%.c=$(BUILD)/%.o)
BIND_OBJ  := $(BIND_SRC:%.c=$(BUILD)/%.o)
SHELL_OBJ := $(SHELL_SRC:%.c=$(BUILD)/%.o)
HEADERS   := $(wildcard core/*.h bindings/*.h shell/*.h)

UNIT_SRC  := $(wildcard tests/unit/*.c)
UNIT_BIN  := $(UNIT_SRC:tests/unit/%.c=$(BUILD)/tests/%)

.PHONY: all deps deps-check deps-bench demo check bench crash-test fuzz install clean \
	check-e2fsprogs-images

all: deps e2lua $(BUILD)/e2.so

deps:
	@sh tools/deps.sh build
deps-check:
	@sh tools/deps.sh check
deps-bench:
	@sh tools/deps.sh bench

$(BUILD)/%.o: %.c $(HEADERS) | deps
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -c -o $@ $<

$(BUILD)/libe2core.a: $(CORE_OBJ)
	rm -f $@
	ar rcs $@ $^

e2lua: $(SHELL_OBJ) $(BIND_OBJ) $(BUILD)/libe2core.a
	$(CC) $(ALL_CFLAGS) $(LDFLAGS) -o $@ $(SHELL_OBJ) $(BIND_OBJ) $(BUILD)/libe2core.a $(PKG_LIBS)

# The module for a stock lua5.4: the interpreter provides the Lua symbols.
$(BUILD)/e2.so: $(BIND_OBJ) $(BUILD)/libe2core.a
	$(CC) $(ALL_CFLAGS) $(LDFLAGS) -shared -o $@ $(BIND_OBJ) $(BUILD)/libe2core.a $(CORE_LIBS) $(shell pkg-config --libs e2p jansson)

$(BUILD)/tests/%: tests/unit/%.c tests/unit/unit.h $(BUILD)/libe2core.a
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -Itests/unit $(LDFLAGS) -o $@ $< $(BUILD)/libe2core.a $(CORE_LIBS)

# Test tools: the crash-test driver with its io_manager (never linked into
# e2lua), and the libFuzzer harness over the core built with clang.
CRASH_BIN := $(BUILD)/crash/crashmig
$(CRASH_BIN): tests/crash/crashmig.c tests/crash/crash_io.c tests/crash/crash_io.h $(BUILD)/libe2core.a
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -Itests/crash $(LDFLAGS) -o $@ tests/crash/crashmig.c tests/crash/crash_io.c $(BUILD)/libe2core.a $(CORE_LIBS)

FUZZ_BIN := $(BUILD)/fuzz/fuzz_e2c
FUZZ_SAN := -fsanitize=address,undefined -fno-sanitize-recover=undefined \
	-fno-omit-frame-pointer -g -O1
FUZZ_CFLAGS = -std=gnu11 $(WARN) -D_GNU_SOURCE $(shell pkg-config --cflags ext2fs com_err) -Icore
$(FUZZ_BIN): tests/fuzz/fuzz_e2c.c $(CORE_SRC) $(HEADERS) | deps
	@mkdir -p $(dir $@)
	clang $(FUZZ_CFLAGS) -fsanitize=fuzzer $(FUZZ_SAN) -o $@ tests/fuzz/fuzz_e2c.c $(CORE_SRC) $(CORE_LIBS)
# The same harness as a plain program, the core compiled with it under
# ASan/UBSan: runs the regression inputs once each (make check).
FUZZ_REGRESS := $(BUILD)/fuzz/fuzz_regress
$(FUZZ_REGRESS): tests/fuzz/fuzz_e2c.c $(CORE_SRC) $(HEADERS) | deps
	@mkdir -p $(dir $@)
	$(CC) $(FUZZ_CFLAGS) -DFUZZ_STANDALONE $(FUZZ_SAN) -o $@ tests/fuzz/fuzz_e2c.c $(CORE_SRC) $(CORE_LIBS)

demo: deps-check all
	sh tools/demo.sh

check: deps-check all $(UNIT_BIN) $(CRASH_BIN) $(FUZZ_REGRESS)
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

install: all
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/share/e2lua/scripts \
		$(DESTDIR)$(PREFIX)/share/man/man1 $(DESTDIR)$(PREFIX)/lib/lua/5.4
	install -m 755 e2lua $(DESTDIR)$(PREFIX)/bin/e2lua
	cp -R scripts/. $(DESTDIR)$(PREFIX)/share/e2lua/scripts/
	install -m 644 doc/e2lua.1 $(DESTDIR)$(PREFIX)/share/man/man1/e2lua.1
	install -m 755 $(BUILD)/e2.so $(DESTDIR)$(PREFIX)/lib/lua/5.4/e2.so

clean:
	rm -rf $(BUILD) e2lua
