#!/usr/bin/env bash
# Re-run the whole capture: installs the clients outside the repo, starts the fault servers on
# 127.0.0.1:30000-30071, runs every client driver, then rebuilds ../captured.jsonl.
# Nothing here is run by the test suite. Takes ~10 minutes (timeouts are part of the scenarios).
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
W=${CAPTURE_DIR:-/tmp/capture}
export CAPTURE_RUN=$W/run CAPTURE_OUT=$W/out
mkdir -p "$W" "$CAPTURE_RUN"
if [ "${SKIP_INSTALL:-}" != 1 ]; then
  apt-get update -q
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q swaks php-cli libphp-phpmailer ruby golang-go \
    libjakarta-mail-java libio-socket-ssl-perl libauthen-sasl-perl curl
  # second batch: Postfix without a system configuration ("No configuration": nothing starts on port 25)
  echo "postfix postfix/main_mailer_type select No configuration" | debconf-set-selections
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q postfix libsasl2-modules msmtp s-nail php-symfony-mailer
  python3 -m venv "$W/aiovenv" && "$W/aiovenv/bin/pip" install -q "aiosmtplib==5.1.3"
  # (Exim is not installed: drive_exim.py unpacks its .debs, as they conflict with Postfix)
  (cd "$W" && [ -f package.json ] || npm init -y >/dev/null; cd "$W" && npm install nodemailer@10.6.1)
  mkdir -p "$W/nm6" && (cd "$W/nm6" && ([ -f package.json ] || npm init -y >/dev/null) && npm install nodemailer@6.9.16)
  python3 -m venv "$W/djvenv" && "$W/djvenv/bin/pip" install -q "django==5.2.19"
fi
rm -rf "$CAPTURE_OUT"
/work/main/.venv/bin/python -W ignore "$HERE/faultserver.py" "$CAPTURE_RUN" 30000 > "$W/server.log" 2>&1 &
SERVER=$!
trap 'kill $SERVER' EXIT
sleep 3
/work/main/.venv/bin/python -c "
import sys, json; sys.path.insert(0, '$HERE'); from scenarios import SCENARIOS
json.dump(SCENARIOS, open('$CAPTURE_RUN/scenarios.json', 'w'), indent=1)"
rm -f "$CAPTURE_RUN/ca.p12"
keytool -importcert -noprompt -alias capture -file "$CAPTURE_RUN/ca.pem" -keystore "$CAPTURE_RUN/ca.p12" \
  -storetype PKCS12 -storepass changeit >/dev/null
(cd "$HERE/gosmtp" && GOFLAGS=-mod=mod GOCACHE=$W/gocache GOPATH=$W/gopath go build -o "$W/gosmtp" .)
CP=/usr/share/java/jakarta-mail.jar:/usr/share/java/jakarta-activation.jar
mkdir -p "$W/javabuild" && javac -cp $CP -d "$W/javabuild" "$HERE/java/Capture.java"
cd "$W"
# the drivers run side by side (each scenario has its own port; the servers serve many connections)
python3 "$HERE/drive_smtplib.py" > smtplib.log 2>&1 &
SSL_CERT_FILE=$CAPTURE_RUN/ca.pem "$W/djvenv/bin/python" "$HERE/drive_django.py" > django.log 2>&1 &
python3 "$HERE/drive_cli.py" > cli.log 2>&1 &
php "$HERE/drive_phpmailer.php" > php.log 2>&1 &
ruby "$HERE/drive_ruby.rb" > ruby.log 2>&1 &
SSL_CERT_FILE=$CAPTURE_RUN/ca.pem "$W/gosmtp" > go.log 2>&1 &
java -Djavax.net.ssl.trustStore=$CAPTURE_RUN/ca.p12 -Djavax.net.ssl.trustStorePassword=changeit \
  -Djavax.net.ssl.trustStoreType=PKCS12 -cp "$W/javabuild:$CP" Capture > java.log 2>&1 &
NM_DIR=$W/node_modules/nodemailer NM_TAG=nodemailer node --stack-trace-limit=4 "$HERE/drive_nodemailer.js" > node.log 2>&1 &
# second batch (captured separately and appended with build_corpus.py --append; see README)
python3 "$HERE/drive_postfix.py" > postfix.log 2>&1 &
python3 "$HERE/drive_exim.py" > exim.log 2>&1 &
python3 "$HERE/drive_msmtp.py" > msmtp.log 2>&1 &
python3 "$HERE/drive_snail.py" > snail.log 2>&1 &
perl "$HERE/drive_netsmtp.pl" > netsmtp.log 2>&1 &
"$W/aiovenv/bin/python" "$HERE/drive_aiosmtplib.py" > aiosmtplib.log 2>&1 &
php "$HERE/drive_symfony.php" > symfony.log 2>&1 &
wait $(jobs -p | grep -v "^$SERVER$") || true
# nodemailer 6.9.16 crashes the process on the auth-oauth-only scenario: keep that crash, then go on
NM_DIR=$W/nm6/node_modules/nodemailer NM_TAG=nodemailer6 node --stack-trace-limit=4 "$HERE/drive_nodemailer.js" > node6.log 2>&1 || {
  mkdir -p "$CAPTURE_OUT/nodemailer6/crash"
  sed -n '/smtp-connection\/index.js:[0-9]*$/,/^Node.js v/p' node6.log > "$CAPTURE_OUT/nodemailer6/crash/auth-oauth-only.txt"
  REST=$(python3 -c "import json; s=list(json.load(open('$CAPTURE_RUN/scenarios.json'))); print(' '.join(s[s.index('auth-oauth-only')+1:]))")
  NM_DIR=$W/nm6/node_modules/nodemailer NM_TAG=nodemailer6 node --stack-trace-limit=4 "$HERE/drive_nodemailer.js" $REST >> node6.log 2>&1 || true
}
python3 "$HERE/build_corpus.py" "$CAPTURE_OUT" "$HERE/../captured.jsonl"
