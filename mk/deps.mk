# Debian packages each entry point needs. Installed only when missing, without
# prompts (the machines run as root).
HOST_PKGS := gcc gcc-multilib make openssl gnutls-bin mosquitto mosquitto-clients nginx curl python3 ca-certificates
# The host archive is built for i686 (the 32-bit simulator, mk/host.mk) with
# Debian's rustc and its library sources (-Zbuild-std), linked by gcc -m32.
HOST_LIB_PKGS := rustc-web rust-web-src cargo-web gcc gcc-multilib
CHIP_PKGS := rustc-web rust-web-src cargo-web gcc-xtensa-lx106 binutils-xtensa-lx106 qemu-system-misc

define apt_ensure
	@missing=""; for p in $(1); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  echo "installing:$$missing"; \
	  SUDO=""; [ "$$(id -u)" = 0 ] || SUDO=sudo; \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq $$missing >/dev/null; \
	fi
endef

# cbindgen from crates.io: Debian's 0.24 cannot parse current Rust syntax.
CBINDGEN_VERSION := 0.29.4

deps-host: deps-host-lib
	$(call apt_ensure,$(HOST_PKGS))
	@cbindgen --version 2>/dev/null | grep -q "$(CBINDGEN_VERSION)" || \
	  cargo install --locked --quiet cbindgen --version $(CBINDGEN_VERSION)

deps-host-lib:
	$(call apt_ensure,$(HOST_LIB_PKGS))

deps-chip:
	$(call apt_ensure,$(CHIP_PKGS))

# scripts/vendor.sh (make vendor-check): GNU patch and diff; cargo only to
# fetch a .crate that is not in its cache yet.
deps-vendor:
	$(call apt_ensure,patch diffutils tar gzip)
