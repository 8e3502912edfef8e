#!/bin/sh
# test_hubctl.sh HUBCTL FIXTURES - hubctl end to end: config check, users,
# backup create/list/verify/restore (refused while the data directory is
# locked), import-json of the identity files (idempotent, a bad file
# imports nothing), exit codes. Prints "N passed, N failed".
set -u
HUBCTL=$1
FIXTURES=$2
T=$(mktemp -d "${TMPDIR:-/tmp}/hubtest-hubctl-XXXXXX")
pass=0
fail=0
ok() { pass=$((pass + 1)); }
bad() { fail=$((fail + 1)); echo "FAIL: $*" >&2; }
check() { # check DESCRIPTION COMMAND... : command must succeed
	d=$1; shift
	if "$@"; then ok; else bad "$d"; fi
}

cat > "$T/hub.conf" <<EOF
[server]
data_dir = $T/data
timezone = Europe/Berlin
log_level = warn
[calendar]
backend = local
EOF
C="$HUBCTL -c $T/hub.conf"

$C config check > "$T/out" 2> "$T/err"
check "config check exits 0" test $? -eq 0
check "config check says OK" grep -q "configuration OK" "$T/out"

echo "correct-horse-battery-1" | $C user add alice --role admin > /dev/null 2> "$T/err"
check "user add" test $? -eq 0

# ---- backups
$C backup create > "$T/out" 2> "$T/err"
check "backup create exits 0" test $? -eq 0
B1=$(cat "$T/out")
check "backup create prints an absolute path" test "${B1#/}" != "$B1"
check "backup file exists" test -f "$B1"
check "backup file is 0600" test "$(stat -c %a "$B1")" = 600
case "$(basename "$B1")" in
hub-[0-9][0-9][0-9][0-9][0-9][0-9][0-9][0-9]T[0-9][0-9][0-9][0-9][0-9][0-9].[0-9][0-9][0-9]Z.db) ok ;;
*) bad "backup name $(basename "$B1")" ;;
esac

echo "second-password-22" | $C user add bob --role staff > /dev/null 2>&1
sleep 0.01
$C backup create > "$T/out2" 2>/dev/null
B2=$(cat "$T/out2")
$C backup list > "$T/list" 2> "$T/err"
check "backup list exits 0" test $? -eq 0
check "backup list has two lines" test "$(wc -l < "$T/list")" -eq 2
check "backup list is oldest first" test "$(head -1 "$T/list" | cut -d' ' -f1)" = "$B1"
check "backup list second is newest" test "$(tail -1 "$T/list" | cut -d' ' -f1)" = "$B2"
check "backup list size column" test "$(head -1 "$T/list" | cut -d' ' -f2)" = "$(stat -c %s "$B1")"
check "backup list time column" sh -c "head -1 '$T/list' | cut -d' ' -f3 | grep -Eq '^20[0-9]{2}-[0-9]{2}-[0-9]{2}T[0-9:]{8}[+-][0-9]{2}:[0-9]{2}$'"

$C backup verify "$B1" > /dev/null 2> "$T/err"
check "verify a good backup" test $? -eq 0
echo "not a database" > "$T/junk.db"
$C backup verify "$T/junk.db" > /dev/null 2> "$T/err"
check "verify junk exits 1" test $? -eq 1
check "verify junk: one line on stderr" test "$(wc -l < "$T/err")" -eq 1

# restore is refused while another process holds the data directory lock
python3 - "$T/data/hub.lock" "$T/locked" <<'EOF' &
import fcntl, os, sys, time
fd = os.open(sys.argv[1], os.O_RDWR | os.O_CREAT, 0o600)
fcntl.lockf(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
os.ftruncate(fd, 0); os.write(fd, b"%d\n" % os.getpid())
open(sys.argv[2], "w").close()
time.sleep(30)
EOF
HOLDER=$!
for i in $(seq 1 100); do test -f "$T/locked" && break; sleep 0.05; done
$C backup restore "$B1" > /dev/null 2> "$T/err"
check "restore while locked exits 1" test $? -eq 1
check "restore while locked names the holder" grep -q "in use by another server (pid $HOLDER)" "$T/err"
kill $HOLDER 2>/dev/null
wait $HOLDER 2>/dev/null

$C backup restore "$B1" > "$T/out" 2> "$T/err"
check "restore exits 0" test $? -eq 0
check "restore names the saved copy" grep -q "previous database saved as /" "$T/out"
$C user list > "$T/users" 2>/dev/null
check "restored state has alice" grep -q "^alice" "$T/users"
check "restored state lacks bob" sh -c "! grep -q '^bob' '$T/users'"

# ---- import of the identity files (no booking module loaded here)
mkdir -p "$T/old" "$T/oldbad"
cp "$FIXTURES/import/good/user_passwords.json" "$FIXTURES/import/good/user_2fa.json" "$T/old/"
$C import-json "$T/old" > /dev/null 2> "$T/err"
check "import exits 0" test $? -eq 0
$C user list > "$T/u1" 2>/dev/null
check "imported anna" grep -q "^anna" "$T/u1"
check "imported chris" grep -q "^chris" "$T/u1"
$C import-json "$T/old" > /dev/null 2> "$T/err"
check "second import exits 0" test $? -eq 0
$C user list > "$T/u2" 2>/dev/null
check "second import changes nothing" cmp -s "$T/u1" "$T/u2"
printf '{\n  "zoe": "pw-zoe-1",\n  "yan": 42\n}\n' > "$T/oldbad/user_passwords.json"
$C import-json "$T/oldbad" > /dev/null 2> "$T/err"
check "bad import exits 1" test $? -eq 1
check "bad import: one line on stderr" test "$(wc -l < "$T/err")" -eq 1
check "bad import names the file" grep -q "user_passwords.json:" "$T/err"
$C user list > "$T/u3" 2>/dev/null
check "bad import wrote nothing" cmp -s "$T/u1" "$T/u3"
cp "$FIXTURES/import/good/blocked_dates.json" "$T/old/"
$C import-json "$T/old" > /dev/null 2> "$T/err"
check "booking data without a booking module is refused" grep -q "no loaded module imports it" "$T/err"
$C import-json "$T/nonexistent" > /dev/null 2> "$T/err"
check "missing import dir exits 1" test $? -eq 1

# ---- exit codes
$C frobnicate > /dev/null 2> "$T/err"
check "unknown command exits 1" test $? -eq 1
check "unknown command: one line on stderr" test "$(wc -l < "$T/err")" -eq 1
"$HUBCTL" -c "$T/missing.conf" backup list > /dev/null 2> "$T/err"
check "missing configuration exits 1" test $? -eq 1
check "missing configuration: one line naming the file" grep -q "missing.conf:0: cannot open" "$T/err"
$C backup > /dev/null 2>&1
check "backup without subcommand exits 1" test $? -eq 1

rm -rf "$T"
echo "hubctl: $pass passed, $fail failed"
test $fail -eq 0
