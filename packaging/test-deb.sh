#!/usr/bin/env bash
# packaging/test-deb.sh: build the fleetview-server and fleetview .debs with cargo-deb, install
# them, check what they installed, run the server the way its systemd unit would, and purge them.
#
# Run as root on a Debian (12) machine or container you can throw away: it installs and purges
# both packages (purging any already installed first) and so creates and deletes the system
# user fleetview-server. systemd need not be running (the server is started by hand, as the
# unit describes). From any directory:
#
#   sudo env "PATH=$PATH" packaging/test-deb.sh      # PATH: so root finds cargo and cargo-deb
#
# Environment:
#   FLEETVIEW_DEB_NO_BUILD=1   pass --no-build to cargo deb: package the binaries already in
#                              target/release (or $CARGO_TARGET_DIR/release) without building
#   FLEETVIEW_DEB_PREBUILT=1   do not run cargo deb at all: take the newest .debs already in
#                              FLEETVIEW_DEB_DIR (e.g. downloaded from a release)
#   FLEETVIEW_DEB_DIR=DIR      where the .debs are written / looked for (default target/debian)
#   FLEETVIEW_DEB_ARGS="..."   more arguments for cargo deb (e.g. --fast)
#   FLEETVIEW_DEB_APT_OPTS=".."  options for apt-get install (default --no-install-recommends:
#                              the app's recommended X11/Wayland/GL libraries are not needed
#                              for these checks)
#
# Every check prints "ok: ..."; the first failure prints "FAIL: ..." and exits non-zero,
# leaving the packages installed for a look.
set -euo pipefail

ROOT=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")/.." && pwd)
DEB_DIR=${FLEETVIEW_DEB_DIR:-$ROOT/target/debian}
APT_OPTS=${FLEETVIEW_DEB_APT_OPTS---no-install-recommends}
SERVICE_USER=fleetview-server
STATE_DIR=/var/lib/fleetview-server
ENV_FILE=/etc/fleetview-server/server.env
UNIT=fleetview-server.service

SERVER_PID=
INSTALLED=
SERVER_LOG=$(mktemp -t fleetview-server-test.XXXXXX.log)

ok() { printf 'ok: %s\n' "$*"; }
info() { printf '.. %s\n' "$*"; }
fail() {
    printf 'FAIL: %s\n' "$*" >&2
    exit 1
}
step() { printf '\n== %s\n' "$*"; }

cleanup() {
    local status=$?
    if [[ -n $SERVER_PID ]] && kill -0 "$SERVER_PID" 2>/dev/null; then
        kill -KILL "$SERVER_PID" 2>/dev/null || true
        wait "$SERVER_PID" 2>/dev/null || true
    fi
    rm -f -- "$SERVER_LOG"
    if ((status != 0)); then
        printf '\ntest-deb.sh FAILED (exit %d)\n' "$status" >&2
        if [[ -n $INSTALLED ]]; then
            printf 'the packages are left installed; to remove them: apt-get purge -y fleetview fleetview-server\n' >&2
        fi
    fi
}
trap cleanup EXIT

[[ $(id -u) -eq 0 ]] || fail "must run as root (it installs packages and runs the server as $SERVICE_USER)"
for tool in apt-get dpkg dpkg-query curl getent setpriv; do
    command -v "$tool" >/dev/null || fail "$tool not found"
done

pkg_status() { # PACKAGE -> dpkg's state of it: installed, config-files, ... or nothing
    dpkg-query -W -f='${db:Status-Status}' "$1" 2>/dev/null || true
}
is_installed() { [[ $(pkg_status "$1") == installed ]]; }

# ---------------------------------------------------------------------------------------------
step "build the packages"

build_deb() { # PACKAGE -> prints the .deb's path
    local package=$1 out
    if [[ ${FLEETVIEW_DEB_PREBUILT:-} == 1 ]]; then
        # shellcheck disable=SC2012 # the names are ours: NAME_VERSION_ARCH.deb
        out=$(ls -1t -- "$DEB_DIR/${package}"_*.deb 2>/dev/null | head -n1 || true)
        [[ -n $out ]] || fail "FLEETVIEW_DEB_PREBUILT=1 but no ${package}_*.deb in $DEB_DIR"
    else
        command -v cargo >/dev/null || fail "cargo not found (run with sudo env \"PATH=\$PATH\" ...)"
        cargo deb --version >/dev/null 2>&1 || fail "cargo-deb not installed (cargo install cargo-deb)"
        local args=(deb -p "$package" -o "$DEB_DIR")
        if [[ ${FLEETVIEW_DEB_NO_BUILD:-} == 1 ]]; then
            args+=(--no-build)
        fi
        if [[ -n ${FLEETVIEW_DEB_ARGS:-} ]]; then
            # shellcheck disable=SC2206 # word splitting of the extra arguments is intended
            args+=(${FLEETVIEW_DEB_ARGS})
        fi
        info "cargo ${args[*]}" >&2
        # cargo-deb prints the path of the .deb it wrote on stdout, its progress on stderr.
        out=$(cd -- "$ROOT" && cargo "${args[@]}" | tail -n1) || fail "cargo deb -p $package failed"
    fi
    [[ -f $out ]] || fail "cargo deb -p $package wrote no .deb (got '$out')"
    printf '%s\n' "$out"
}

mkdir -p -- "$DEB_DIR"
SERVER_DEB=$(build_deb fleetview-server)
ok "fleetview-server package: $SERVER_DEB"
APP_DEB=$(build_deb fleetview)
ok "fleetview package: $APP_DEB"

for deb in "$SERVER_DEB" "$APP_DEB"; do
    info "$(dpkg-deb -f "$deb" Package Version Architecture Depends | tr '\n' ' ')"
done
[[ $(dpkg-deb -f "$SERVER_DEB" Depends) == *adduser* ]] || fail "fleetview-server does not depend on adduser"
dpkg-deb -I "$SERVER_DEB" conffiles 2>/dev/null | grep -qx "$ENV_FILE" \
    || fail "$ENV_FILE is not a conffile of the fleetview-server package"
ok "$ENV_FILE is listed in the package's conffiles"
for script in postinst prerm postrm; do
    dpkg-deb -I "$SERVER_DEB" "$script" >/dev/null 2>&1 || fail "fleetview-server has no $script"
done
dpkg-deb -I "$SERVER_DEB" postinst | grep -q 'deb-systemd-helper enable' \
    || fail "cargo-deb's systemd snippet is missing from postinst (#DEBHELPER# not replaced?)"
if dpkg-deb -I "$SERVER_DEB" postinst postrm | grep -q '#DEBHELPER#'; then
    fail "a #DEBHELPER# token was left in the maintainer scripts"
fi
ok "maintainer scripts postinst, prerm, postrm carry cargo-deb's systemd snippets"

# ---------------------------------------------------------------------------------------------
step "install"

for package in fleetview fleetview-server; do
    status=$(pkg_status "$package")
    if [[ -n $status && $status != not-installed ]]; then
        info "$package is on this system already ($status): purging it first to test a fresh install"
        apt-get purge -y -q "$package" >/dev/null || fail "could not purge the installed $package"
    fi
done

INSTALLED=1
# apt-get resolves dependencies (adduser, libc6, ...); paths with a / are read as .deb files.
# shellcheck disable=SC2086 # APT_OPTS holds several options
DEBIAN_FRONTEND=noninteractive apt-get install -y -q $APT_OPTS "$SERVER_DEB" "$APP_DEB" \
    || fail "apt-get install of the two .debs failed"
is_installed fleetview-server || fail "fleetview-server is not installed"
is_installed fleetview || fail "fleetview is not installed"
ok "installed $(dpkg-query -W -f='${Package} ${Version}\n' fleetview-server fleetview | paste -sd, - | sed 's/,/, /g')"

# ---------------------------------------------------------------------------------------------
step "check what fleetview-server installed"

passwd_entry=$(getent passwd "$SERVICE_USER") || fail "user $SERVICE_USER does not exist"
IFS=: read -r _ _ user_uid user_gid _ user_home user_shell <<<"$passwd_entry"
((user_uid < 1000)) || fail "$SERVICE_USER is not a system user (uid $user_uid)"
[[ $user_home == "$STATE_DIR" ]] || fail "home of $SERVICE_USER is $user_home, not $STATE_DIR"
getent group "$SERVICE_USER" >/dev/null || fail "group $SERVICE_USER does not exist"
ok "system user $SERVICE_USER exists (uid $user_uid, gid $user_gid, home $user_home, shell $user_shell)"

[[ -d $STATE_DIR ]] || fail "$STATE_DIR does not exist"
[[ $(stat -c %U "$STATE_DIR") == "$SERVICE_USER" ]] || fail "$STATE_DIR is not owned by $SERVICE_USER"
ok "$STATE_DIR exists, owned by $SERVICE_USER ($(stat -c %a "$STATE_DIR"))"

[[ -f $ENV_FILE ]] || fail "$ENV_FILE does not exist"
ok "$ENV_FILE exists ($(stat -c '%U:%G %a' "$ENV_FILE"))"

[[ -x /usr/bin/fleetview-server ]] || fail "/usr/bin/fleetview-server is missing"
ok "/usr/bin/fleetview-server is installed"

UNIT_FILE=
for dir in /usr/lib/systemd/system /lib/systemd/system; do
    if [[ -f $dir/$UNIT ]]; then
        UNIT_FILE=$dir/$UNIT
        break
    fi
done
[[ -n $UNIT_FILE ]] || fail "$UNIT is in neither /usr/lib/systemd/system nor /lib/systemd/system"
ok "unit installed: $UNIT_FILE"

# deb-systemd-helper enables units even where systemd is not running.
if [[ -L /etc/systemd/system/multi-user.target.wants/$UNIT ]]; then
    ok "$UNIT is enabled (multi-user.target.wants)"
else
    fail "$UNIT was not enabled by the postinst"
fi

if command -v systemd-analyze >/dev/null; then
    if verify_out=$(systemd-analyze verify "$UNIT_FILE" 2>&1); then
        ok "systemd-analyze verify $UNIT: no complaints"
    else
        printf '%s\n' "$verify_out" >&2
        fail "systemd-analyze verify $UNIT_FILE"
    fi
    [[ -n $verify_out ]] && printf '%s\n' "$verify_out"
else
    info "systemd-analyze not found: unit not verified"
fi

# ---------------------------------------------------------------------------------------------
step "run the server the way $UNIT does"

unit_values() { # KEY -> every value of KEY= in the unit's [Service] section, one per line
    awk -v key="$1" '
        /^[[:space:]]*\[/ { in_service = ($0 ~ /^[[:space:]]*\[Service\]/) ; next }
        in_service && $0 ~ "^[[:space:]]*" key "[[:space:]]*=" {
            sub("^[[:space:]]*" key "[[:space:]]*=[[:space:]]*", ""); print
        }' "$UNIT_FILE"
}

exec_start=$(unit_values ExecStart | tail -n1)
run_user=$(unit_values User | tail -n1)
working_dir=$(unit_values WorkingDirectory | tail -n1)
mapfile -t env_lines < <(unit_values Environment)
mapfile -t env_files < <(unit_values EnvironmentFile)
[[ -n $exec_start ]] || fail "no ExecStart= in $UNIT_FILE"
[[ $run_user == "$SERVICE_USER" ]] || fail "the unit runs as '$run_user', not $SERVICE_USER"
info "ExecStart=$exec_start"
info "User=$run_user WorkingDirectory=${working_dir:-/} EnvironmentFile=${env_files[*]:-}"

# The environment systemd would give it: a clean one, Environment=, then EnvironmentFile=
# (which overrides Environment=), then this test's listen address on a free loopback port.
run_env=(
    "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
    "LANG=C.UTF-8"
    "HOME=$user_home" "USER=$run_user" "LOGNAME=$run_user" "SHELL=$user_shell"
)
for line in "${env_lines[@]}"; do
    read -r -a assignments <<<"$line" # (no quoted spaces in our unit's Environment= lines)
    run_env+=("${assignments[@]}")
done
for file in "${env_files[@]}"; do
    optional=0
    if [[ $file == -* ]]; then
        optional=1
        file=${file#-}
    fi
    if [[ ! -f $file ]]; then
        ((optional)) && continue
        fail "EnvironmentFile $file does not exist"
    fi
    # Parse it with the shell in an empty environment and keep what it defined.
    env_dump=$(mktemp)
    # shellcheck disable=SC2016 # $1 is for the inner shell
    if ! env -i bash -c 'set -a; . "$1" || exit 1; set +a; unset PWD SHLVL _ OLDPWD; env -0' _ "$file" >"$env_dump"; then
        rm -f -- "$env_dump"
        fail "cannot read $file as a shell file of VARIABLE=value lines"
    fi
    mapfile -d '' -t from_file <"$env_dump"
    rm -f -- "$env_dump"
    run_env+=("${from_file[@]}")
done

port_in_use() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
PORT=
for _ in $(seq 1 50); do
    candidate=$((20000 + RANDOM % 40000))
    if ! port_in_use "$candidate"; then
        PORT=$candidate
        break
    fi
done
[[ -n $PORT ]] || fail "no free loopback port found"
run_env+=("FLEETVIEW_LISTEN=127.0.0.1:$PORT")

env_value() { # NAME -> its last value in run_env
    local entry value=
    for entry in "${run_env[@]}"; do
        [[ $entry == "$1="* ]] && value=${entry#*=}
    done
    printf '%s' "$value"
}

# ExecStart's words: systemd replaces a word that is exactly $NAME by NAME's value split at
# whitespace (zero or more words) and ${NAME} by its value as one word.
read -r -a exec_words <<<"${exec_start#[-@:+!]}"
cmd=()
for word in "${exec_words[@]}"; do
    if [[ $word =~ ^\$([A-Za-z_][A-Za-z0-9_]*)$ ]]; then
        read -r -a split <<<"$(env_value "${BASH_REMATCH[1]}")"
        cmd+=("${split[@]}")
    elif [[ $word =~ ^\$\{([A-Za-z_][A-Za-z0-9_]*)\}$ ]]; then
        cmd+=("$(env_value "${BASH_REMATCH[1]}")")
    else
        cmd+=("$word")
    fi
done
[[ -x ${cmd[0]} ]] || fail "ExecStart's program ${cmd[0]} is not executable"
info "running as $run_user: ${cmd[*]} (FLEETVIEW_LISTEN=127.0.0.1:$PORT)"

(
    cd -- "${working_dir:-/}"
    exec env -i "${run_env[@]}" setpriv --reuid="$run_user" --regid="$run_user" --init-groups -- "${cmd[@]}"
) >"$SERVER_LOG" 2>&1 &
SERVER_PID=$!

health=
for _ in $(seq 1 50); do # 10 s
    if health=$(curl -fsS --max-time 1 "http://127.0.0.1:$PORT/healthz" 2>/dev/null); then
        break
    fi
    health=
    if ! kill -0 "$SERVER_PID" 2>/dev/null; then
        cat -- "$SERVER_LOG" >&2
        fail "fleetview-server exited at start"
    fi
    sleep 0.2
done
if [[ -z $health ]]; then
    cat -- "$SERVER_LOG" >&2
    fail "no answer from http://127.0.0.1:$PORT/healthz within 10 s"
fi
ok "GET http://127.0.0.1:$PORT/healthz answered: $health"

proc_uid=$(awk '/^Uid:/ { print $2 }' "/proc/$SERVER_PID/status")
[[ $proc_uid == "$user_uid" ]] || fail "the server runs as uid $proc_uid, not $run_user ($user_uid)"
ok "the server (pid $SERVER_PID, $(readlink "/proc/$SERVER_PID/exe")) runs as $run_user (uid $proc_uid)"

# The unit's KillSignal (systemd's default, SIGTERM): the server must shut down cleanly on it.
kill_signal=$(unit_values KillSignal | tail -n1)
kill_signal=${kill_signal:-SIGTERM}
kill -s "${kill_signal#SIG}" "$SERVER_PID"
for _ in $(seq 1 50); do
    kill -0 "$SERVER_PID" 2>/dev/null || break
    sleep 0.2
done
if kill -0 "$SERVER_PID" 2>/dev/null; then
    kill -KILL "$SERVER_PID" 2>/dev/null || true
    fail "the server ignored $kill_signal for 10 s (systemd would have killed it)"
fi
server_status=0
wait "$SERVER_PID" || server_status=$?
SERVER_PID=
ok "server stopped on $kill_signal (exit status $server_status)"
info "its log:"
sed 's/^/   | /' -- "$SERVER_LOG"

# ---------------------------------------------------------------------------------------------
step "reinstall fleetview-server over itself (as an upgrade would)"

marker="# test-deb.sh was here $$"
printf '%s\n' "$marker" >>"$ENV_FILE"
DEBIAN_FRONTEND=noninteractive apt-get install -y -q --reinstall -o Dpkg::Options::=--force-confold \
    "$SERVER_DEB" >/dev/null || fail "reinstalling fleetview-server failed"
grep -qxF -- "$marker" "$ENV_FILE" || fail "reinstalling replaced the edited $ENV_FILE"
ok "an edited $ENV_FILE survives a reinstall"
[[ $(id -u "$SERVICE_USER") == "$user_uid" ]] || fail "reinstalling changed the uid of $SERVICE_USER"
[[ $(stat -c %U "$STATE_DIR") == "$SERVICE_USER" ]] || fail "reinstalling changed the owner of $STATE_DIR"
ok "the user $SERVICE_USER and $STATE_DIR are as they were"

# ---------------------------------------------------------------------------------------------
step "check what fleetview installed"

[[ -x /usr/bin/fleetview ]] || fail "/usr/bin/fleetview is missing"
if help_out=$(env -u DISPLAY -u WAYLAND_DISPLAY /usr/bin/fleetview --help 2>&1); then
    ok "/usr/bin/fleetview --help runs without a display: $(head -n1 <<<"$help_out")"
else
    info "/usr/bin/fleetview --help failed without a display: $(head -n1 <<<"$help_out")"
    ok "/usr/bin/fleetview exists and is executable"
fi
app_files=$(dpkg -L fleetview)
for path in /usr/share/applications/fleetview.desktop \
    /usr/share/icons/hicolor/scalable/apps/fleetview.svg \
    /usr/share/icons/hicolor/256x256/apps/fleetview.png; do
    grep -qx -- "$path" <<<"$app_files" || fail "dpkg -L fleetview does not list $path"
    [[ -s $path ]] || fail "$path is missing or empty"
done
ok "dpkg -L fleetview lists the .desktop entry and the SVG and PNG icons"
if command -v desktop-file-validate >/dev/null; then
    desktop-file-validate /usr/share/applications/fleetview.desktop \
        || fail "desktop-file-validate /usr/share/applications/fleetview.desktop"
    ok "desktop-file-validate: fleetview.desktop is valid"
else
    info "desktop-file-validate not found (apt-get install desktop-file-utils): .desktop not validated"
fi

# ---------------------------------------------------------------------------------------------
step "sizes"

for deb in "$SERVER_DEB" "$APP_DEB"; do
    printf '   %-8s %12s bytes  %s\n' "$(du -h -- "$deb" | cut -f1)" "$(stat -c %s -- "$deb")" "$deb"
done
for bin in /usr/bin/fleetview-server /usr/bin/fleetview; do
    printf '   %-8s %12s bytes  %s\n' "$(du -h -- "$bin" | cut -f1)" "$(stat -c %s -- "$bin")" "$bin"
done

# ---------------------------------------------------------------------------------------------
step "purge"

DEBIAN_FRONTEND=noninteractive apt-get purge -y -q fleetview fleetview-server \
    || fail "apt-get purge failed"
INSTALLED=
! is_installed fleetview || fail "fleetview is still installed"
! is_installed fleetview-server || fail "fleetview-server is still installed"
[[ $(pkg_status fleetview-server) != config-files ]] || fail "fleetview-server was removed but not purged"
ok "both packages purged"
! getent passwd "$SERVICE_USER" >/dev/null || fail "user $SERVICE_USER still exists after purge"
! getent group "$SERVICE_USER" >/dev/null || fail "group $SERVICE_USER still exists after purge"
ok "user and group $SERVICE_USER are gone"
[[ ! -e $STATE_DIR ]] || fail "$STATE_DIR still exists after purge"
ok "$STATE_DIR is gone"
[[ ! -e $ENV_FILE ]] || fail "$ENV_FILE still exists after purge"
[[ ! -e $UNIT_FILE ]] || fail "$UNIT_FILE still exists after purge"
[[ ! -L /etc/systemd/system/multi-user.target.wants/$UNIT ]] || fail "$UNIT is still enabled after purge"
ok "$ENV_FILE, the unit and its enablement are gone"

printf '\ntest-deb.sh: all checks passed\n'
