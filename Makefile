# rotord: build, install and package (docs/install.md).
#
#   make build                      release binaries, Swift runtime linked in (--static-swift-stdlib)
#   make install [DESTDIR=] [PREFIX=/usr/local]
#   make man | completions          generated from the CLI definitions into dist/
#   make deb [BIN_DIR=]             dist/rotord_VERSION_ARCH.deb (dpkg-deb); BIN_DIR: binaries already built
#   make clean-dist                 remove dist/
#
# Nothing here runs as root except `make install` into /.

SHELL := /bin/bash
.SHELLFLAGS := -euo pipefail -c
.DELETE_ON_ERROR:

PREFIX ?= /usr/local
DESTDIR ?=
SYSCONFDIR ?= /etc
BINDIR ?= $(PREFIX)/bin
LIBDIR ?= $(PREFIX)/lib
UNITDIR ?= $(LIBDIR)/systemd/system
CATALOGDIR ?= $(LIBDIR)/systemd/catalog
TMPFILESDIR ?= $(LIBDIR)/tmpfiles.d
MANDIR ?= $(PREFIX)/share/man
DOCDIR ?= $(PREFIX)/share/doc/rotord
BASHCOMPDIR ?= $(PREFIX)/share/bash-completion/completions
ZSHCOMPDIR ?= $(PREFIX)/share/zsh/site-functions
FISHCOMPDIR ?= $(PREFIX)/share/fish/vendor_completions.d

# The shipped binaries carry the Swift runtime (Debian has no package for it): see docs/install.md.
SWIFT_BUILD_FLAGS ?= -c release --static-swift-stdlib
BIN_DIR ?= .build/release
DIST ?= dist
# dpkg-deb's compression (scripts/test.sh uses a faster level: the contents are the same).
DEB_COMPRESSION ?= -Zxz -z6
PROGRAMS := rotord fracttal-sim

# The package's version and date come from packaging/changelog (one place).
VERSION := $(shell dpkg-parsechangelog -l packaging/changelog -S Version)
CHANGELOG_DATE := $(shell date -u -d "$$(dpkg-parsechangelog -l packaging/changelog -S Date)" +%F)
ARCH := $(shell dpkg --print-architecture)
DEB := $(DIST)/rotord_$(VERSION)_$(ARCH).deb

# swift-argument-parser's generate-manual tool (what its GenerateManual plugin runs), built from the
# package's own checkout of swift-argument-parser. The plugin itself would build every product of
# this package first, in its own configuration.
ARGUMENT_PARSER := .build/checkouts/swift-argument-parser
GENERATE_MANUAL := $(DIST)/.tools/debug/generate-manual

.PHONY: build install man completions deb clean-dist

build:
	for p in $(PROGRAMS); do swift build $(SWIFT_BUILD_FLAGS) --product $$p; done

$(GENERATE_MANUAL):
	[ -d $(ARGUMENT_PARSER) ] || swift package resolve
	swift build --package-path $(ARGUMENT_PARSER) --scratch-path $(DIST)/.tools --product generate-manual

# rotord(8) with one page per subcommand (rotord.run(8), ...), fracttal-sim(1), and the hand-written
# rotord.yaml(5) (checked against docs/configuration.md by Tests/SystemdHarness/package.sh).
man: $(GENERATE_MANUAL)
	for p in $(PROGRAMS); do [ -x $(BIN_DIR)/$$p ] || { echo "make: $(BIN_DIR)/$$p is missing: run make build" >&2; exit 1; }; done
	rm -rf $(DIST)/man && mkdir -p $(DIST)/man
	$(GENERATE_MANUAL) $(BIN_DIR)/rotord --multi-page --section 8 --date $(CHANGELOG_DATE) -o $(DIST)/man
	for f in $(DIST)/man/rotord.*.8; do awk -f packaging/man-names.awk "$$f" > "$$f.tmp" && mv "$$f.tmp" "$$f"; done
	$(GENERATE_MANUAL) $(BIN_DIR)/fracttal-sim --section 1 --date $(CHANGELOG_DATE) -o $(DIST)/man
	cp packaging/man/rotord.yaml.5 $(DIST)/man/

completions:
	rm -rf $(DIST)/completions && mkdir -p $(DIST)/completions/{bash,zsh,fish}
	for p in $(PROGRAMS); do \
	    $(BIN_DIR)/$$p --generate-completion-script bash | sed '1{/^#!/d}' > $(DIST)/completions/bash/$$p; \
	    $(BIN_DIR)/$$p --generate-completion-script zsh > $(DIST)/completions/zsh/_$$p; \
	    $(BIN_DIR)/$$p --generate-completion-script fish > $(DIST)/completions/fish/$$p.fish; \
	done

# The units in systemd/ name /usr/local/bin (a hand install, as in docs/operations.md): they are
# rewritten for BINDIR and DOCDIR here.
install: man completions
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(UNITDIR) $(DESTDIR)$(CATALOGDIR) $(DESTDIR)$(TMPFILESDIR) \
	    $(DESTDIR)$(SYSCONFDIR)/rotord $(DESTDIR)$(DOCDIR)/examples $(DESTDIR)$(MANDIR)/man1 \
	    $(DESTDIR)$(MANDIR)/man5 $(DESTDIR)$(MANDIR)/man8 $(DESTDIR)$(BASHCOMPDIR) $(DESTDIR)$(ZSHCOMPDIR) \
	    $(DESTDIR)$(FISHCOMPDIR)
	for p in $(PROGRAMS); do install -m 0755 $(BIN_DIR)/$$p $(DESTDIR)$(BINDIR)/$$p; done
	for u in rotord.service rotord-once.service rotord.timer; do \
	    sed -e 's|/usr/local/bin/|$(BINDIR)/|g' -e 's|file:///usr/share/doc/rotord/|file://$(DOCDIR)/|g' \
	        systemd/$$u > $(DESTDIR)$(UNITDIR)/$$u; \
	    chmod 0644 $(DESTDIR)$(UNITDIR)/$$u; \
	done
	install -m 0644 systemd/rotord.catalog $(DESTDIR)$(CATALOGDIR)/rotord.catalog
	install -m 0644 systemd/rotord.tmpfiles $(DESTDIR)$(TMPFILESDIR)/rotord.conf
	install -m 0644 config/rotord.example.yaml $(DESTDIR)$(SYSCONFDIR)/rotord/rotord.yaml.example
	install -m 0644 README.md docs/*.md $(DESTDIR)$(DOCDIR)/
	install -m 0644 packaging/deliver-owners.conf $(DESTDIR)$(DOCDIR)/examples/deliver-owners.conf
	install -m 0644 $(DIST)/man/*.1 $(DESTDIR)$(MANDIR)/man1/
	install -m 0644 $(DIST)/man/*.5 $(DESTDIR)$(MANDIR)/man5/
	install -m 0644 $(DIST)/man/*.8 $(DESTDIR)$(MANDIR)/man8/
	for p in $(PROGRAMS); do \
	    install -m 0644 $(DIST)/completions/bash/$$p $(DESTDIR)$(BASHCOMPDIR)/$$p; \
	    install -m 0644 $(DIST)/completions/zsh/_$$p $(DESTDIR)$(ZSHCOMPDIR)/_$$p; \
	    install -m 0644 $(DIST)/completions/fish/$$p.fish $(DESTDIR)$(FISHCOMPDIR)/$$p.fish; \
	done
	@if [ -z "$(DESTDIR)" ]; then \
	    echo "make: installed; now: systemd-tmpfiles --create rotord.conf && journalctl --update-catalog" \
	        "&& systemctl daemon-reload (docs/install.md)"; \
	fi

# A Debian package with dpkg-deb (no debhelper: nothing here needs it). Installs into dist/deb with
# Debian's paths, strips the binaries, refuses binaries that still need the Swift runtime, and takes
# Depends from dpkg-shlibdeps (libc6, libgcc-s1, libstdc++6, libsystemd0, zlib1g: what is left NEEDED).
deb: man completions
	rm -rf $(DIST)/deb $(DIST)/shlibs $(DEB)
	$(MAKE) --no-print-directory install DESTDIR=$(abspath $(DIST)/deb) PREFIX=/usr UNITDIR=/lib/systemd/system \
	    ZSHCOMPDIR=/usr/share/zsh/vendor-completions BIN_DIR=$(BIN_DIR) DIST=$(DIST)
	for p in $(PROGRAMS); do \
	    if objdump -p $(DIST)/deb/usr/bin/$$p | grep -E 'NEEDED +libswift|NEEDED +libFoundation|NEEDED +libdispatch'; then \
	        echo "make: $(BIN_DIR)/$$p needs the Swift runtime: build it with --static-swift-stdlib (make build)" >&2; \
	        exit 1; \
	    fi; \
	    strip --strip-unneeded --remove-section=.comment --remove-section=.note $(DIST)/deb/usr/bin/$$p; \
	done
	gzip -9n $(DIST)/deb/usr/share/man/man*/*
	install -m 0644 packaging/copyright $(DIST)/deb/usr/share/doc/rotord/copyright
	install -D -m 0644 packaging/lintian-overrides $(DIST)/deb/usr/share/lintian/overrides/rotord
	gzip -9n -c packaging/changelog > $(DIST)/deb/usr/share/doc/rotord/changelog.gz
	chmod 0644 $(DIST)/deb/usr/share/doc/rotord/changelog.gz
	install -d -m 0755 $(DIST)/deb/DEBIAN $(DIST)/shlibs/debian
	install -m 0755 packaging/postinst packaging/prerm packaging/postrm $(DIST)/deb/DEBIAN/
	install -m 0644 packaging/conffiles $(DIST)/deb/DEBIAN/conffiles
	printf 'Source: rotord\n\nPackage: rotord\nArchitecture: any\n' > $(DIST)/shlibs/debian/control
	depends=$$(cd $(DIST)/shlibs && dpkg-shlibdeps -O $(addprefix -e$(abspath $(DIST)/deb)/usr/bin/,$(PROGRAMS)) \
	    | sed -n 's/^shlibs:Depends=//p'); \
	size=$$(du -sk --exclude=DEBIAN $(DIST)/deb | cut -f1); \
	sed -e "s/@VERSION@/$(VERSION)/" -e "s/@ARCH@/$(ARCH)/" -e "s/@DEPENDS@/$$depends/" \
	    -e "s/@INSTALLED_SIZE@/$$size/" packaging/control.in > $(DIST)/deb/DEBIAN/control
	(cd $(DIST)/deb && find . -type f ! -path './DEBIAN/*' -printf '%P\0' | sort -z | xargs -0 md5sum) \
	    > $(DIST)/deb/DEBIAN/md5sums
	dpkg-deb --root-owner-group $(DEB_COMPRESSION) --build $(DIST)/deb $(DEB)
	@echo "make: $(DEB) ($$(du -h $(DEB) | cut -f1)); Depends: $$(dpkg-deb -f $(DEB) Depends)"

clean-dist:
	rm -rf $(DIST)
