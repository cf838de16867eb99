#!/usr/bin/env bash
# Provisions and starts a Samba Active Directory domain controller on loopback for keydesk's AD
# tests and demo: the CONTOSO.LOCAL domain, LDAPS on 127.0.0.1:636 with a certificate from a
# throw-away CA (so clients verify it instead of switching verification off), a lockout policy
# (3 bad passwords), the on-premises side of the demo tenant's synced users (GradyA in
# OU=R&D,OU=Users; the On-Prem-VPN-Users group), a protected account (adm-gradya, a Domain Admin),
# and keydesk's service account (svc-keydesk) with the rights a helpdesk connector needs on
# OU=Users and nothing else.
#
# Idempotent: a running DC is reused; a provisioned but stopped one is started again. Installs
# Samba with apt-get when it is missing and KEYDESK_SAMBA_INSTALL=1 (CI sets it). Needs root.
#
# Prints the connection settings (an env file, KEY=VALUE) and, on its last line, the path of that
# file, e.g.
#   export KEYDESK_TEST_AD_ENV="$(scripts/samba-ad.sh | tail -n 1)"
#   set -a; . "$KEYDESK_TEST_AD_ENV"; set +a     # KEYDESK_AD_URL, ..., for the keydesk CLI
# `scripts/samba-ad.sh stop` stops the DC started here.
set -euo pipefail

dir="${KEYDESK_SAMBA_DIR:-/tmp/keydesk-samba-ad}"
realm=CONTOSO.LOCAL
domain=CONTOSO
base_dn="DC=contoso,DC=local"
# Test-only credentials of a throw-away domain on loopback.
admin_password='Keydesk-Admin-2026!'
service_password='Keydesk-Service-2026!'
initial_password='Grady-Initial-2026!'
conf="$dir/etc/smb.conf"
pidfile="$dir/samba.pid"
log="$dir/samba.log"
env_file="$dir/keydesk-ad.env"

say() { echo "samba-ad.sh: $*" >&2; }

running() {
  [ -f "$pidfile" ] && kill -0 "$(cat "$pidfile")" 2>/dev/null
}

if [ "${1:-}" = "stop" ]; then
  if running; then
    kill "$(cat "$pidfile")"
    say "stopped"
  fi
  rm -f "$pidfile"
  exit 0
fi

if ! command -v samba >/dev/null 2>&1 || ! command -v samba-tool >/dev/null 2>&1; then
  if [ "${KEYDESK_SAMBA_INSTALL:-}" = "1" ]; then
    say "installing samba"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >&2 || true
    apt-get install -y -qq samba >&2
  else
    say "Samba is not installed; try: apt-get install samba (or KEYDESK_SAMBA_INSTALL=1)"
    exit 1
  fi
fi

tool() { samba-tool "$@" -s "$conf" >&2; }

if [ ! -f "$dir/.provisioned" ]; then
  say "provisioning $realm in $dir"
  rm -rf "$dir"
  mkdir -p "$dir/tls"
  # A CA and a server certificate for 127.0.0.1 and localhost.
  openssl req -x509 -newkey rsa:2048 -nodes -days 3650 -subj "/CN=keydesk test AD CA" \
    -keyout "$dir/tls/ca-key.pem" -out "$dir/tls/ca.pem" 2>/dev/null
  openssl req -newkey rsa:2048 -nodes -subj "/CN=localhost" \
    -keyout "$dir/tls/key.pem" -out "$dir/tls/server.csr" 2>/dev/null
  printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n' >"$dir/tls/ext.cnf"
  openssl x509 -req -in "$dir/tls/server.csr" -CA "$dir/tls/ca.pem" -CAkey "$dir/tls/ca-key.pem" \
    -CAcreateserial -days 3650 -extfile "$dir/tls/ext.cnf" -out "$dir/tls/cert.pem" 2>/dev/null
  chmod 600 "$dir/tls/key.pem" "$dir/tls/ca-key.pem"
  samba-tool domain provision --targetdir="$dir" --realm="$realm" --domain="$domain" \
    --server-role=dc --dns-backend=NONE --adminpass="$admin_password" \
    --option="interfaces = lo" --option="bind interfaces only = yes" \
    --option="server services = ldap" \
    --option="tls enabled = yes" --option="tls keyfile = $dir/tls/key.pem" \
    --option="tls certfile = $dir/tls/cert.pem" --option="tls cafile = $dir/tls/ca.pem" \
    >"$dir/provision.log" 2>&1 || { cat "$dir/provision.log" >&2; exit 1; }

  # Lockout after 3 bad passwords, for 30 minutes; the default complexity rules stay on.
  tool domain passwordsettings set --account-lockout-threshold=3 \
    --account-lockout-duration=30 --reset-account-lockout-after=30 --min-pwd-age=0
  tool ou create "OU=Users,$base_dn"
  tool ou create "OU=R&D,OU=Users,$base_dn"
  tool user create gradya "$initial_password" --given-name=Grady --surname=Archie \
    --userou="OU=R&D,OU=Users" --department="R&D" --job-title=Engineer
  tool group add On-Prem-VPN-Users --groupou="OU=Users" --description="VPN access"
  tool group addmembers On-Prem-VPN-Users gradya
  # A protected account: Grady's administrator account, a Domain Admin.
  tool user create adm-gradya "$initial_password" --given-name=Grady --surname="Archie (admin)" \
    --userou="OU=R&D,OU=Users"
  tool group addmembers "Domain Admins" adm-gradya
  # keydesk's service account: reset passwords, unlock, enable/disable and manage groups under
  # OU=Users, nothing more. AD's AdminSDHolder keeps protected accounts out of reach of this
  # delegation even when they sit in the OU.
  tool user create svc-keydesk "$service_password" --description="keydesk helpdesk connector"
  sid="$(samba-tool user show svc-keydesk -s "$conf" --attributes=objectSid | awk '/^objectSid:/ {print $2}')"
  user_class=bf967aba-0de6-11d0-a285-00aa003049e2
  group_class=bf967a9c-0de6-11d0-a285-00aa003049e2
  reset_password=00299570-246d-11d0-a768-00aa006e0529
  lockout_time=28630ebf-41d5-11d1-a9c1-0000f80367c1
  user_account_control=bf967a68-0de6-11d0-a285-00aa003049e2
  pwd_last_set=bf967a0a-0de6-11d0-a285-00aa003049e2
  member=bf9679c0-0de6-11d0-a285-00aa003049e2
  for ace in \
    "(OA;CIIO;CR;$reset_password;$user_class;$sid)" \
    "(OA;CIIO;RPWP;$lockout_time;$user_class;$sid)" \
    "(OA;CIIO;RPWP;$user_account_control;$user_class;$sid)" \
    "(OA;CIIO;RPWP;$pwd_last_set;$user_class;$sid)" \
    "(OA;CIIO;RPWP;$member;$group_class;$sid)"; do
    samba-tool dsacl set -s "$conf" --objectdn="OU=Users,$base_dn" --sddl="$ace" --action=allow >/dev/null
  done
  touch "$dir/.provisioned"
fi

if ! running; then
  say "starting samba"
  setsid samba -i -M single -s "$conf" --debug-stdout </dev/null >"$log" 2>&1 &
  echo $! >"$pidfile"
  for _ in $(seq 1 60); do
    if (exec 3<>/dev/tcp/127.0.0.1/636) 2>/dev/null; then
      break
    fi
    if ! running; then
      tail -n 30 "$log" >&2
      say "samba exited"
      exit 1
    fi
    sleep 0.5
  done
  if ! (exec 3<>/dev/tcp/127.0.0.1/636) 2>/dev/null; then
    tail -n 30 "$log" >&2
    say "LDAPS did not come up on 127.0.0.1:636"
    exit 1
  fi
fi

printf '%s\n' "$service_password" >"$dir/svc-keydesk.password"
printf '%s\n' "$admin_password" >"$dir/administrator.password"
chmod 600 "$dir/svc-keydesk.password" "$dir/administrator.password"
cat >"$env_file" <<EOF
KEYDESK_AD_URL=ldaps://127.0.0.1:636
KEYDESK_AD_BIND_DN=CN=svc-keydesk,CN=Users,$base_dn
KEYDESK_AD_BIND_PASSWORD_FILE=$dir/svc-keydesk.password
KEYDESK_AD_BASE_DN=$base_dn
KEYDESK_AD_CA_CERT=$dir/tls/ca.pem
KEYDESK_TEST_AD_ADMIN_DN=CN=Administrator,CN=Users,$base_dn
KEYDESK_TEST_AD_ADMIN_PASSWORD_FILE=$dir/administrator.password
EOF
cat "$env_file" >&2
echo "$env_file"
