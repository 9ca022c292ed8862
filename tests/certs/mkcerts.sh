#!/bin/sh
# Generates throw-away credentials for the signal-channel tests into DIR
# (default: a new temp dir, whose name is printed). Nothing is committed.
#
#   ca.pem ca.key            test CA
#   server.pem server.key    CN dotsd.test, SAN DNS:dotsd.test, IP 127.0.0.1, ::1
#   client1.pem/.key         CN client1 (valid)
#   client2.pem/.key         CN client2 (valid)
#   expired.pem/.key         CN client1, validity ended yesterday
#   future.pem/.key          CN client1, validity starts in ten days
#   foreign.pem/.key         CN client1, issued by another CA (foreign-ca.pem)
#   NAME.spki                hex SHA-256 of NAME's DER SubjectPublicKeyInfo
#
# "openssl ca" takes explicit -startdate/-enddate, which is how OpenSSL 3.0
# makes certificates that are expired or not yet valid without faketime.
set -eu
dir=${1:-$(mktemp -d /tmp/dotsd-sigcerts.XXXXXX)}
mkdir -p "$dir"
cd "$dir"

key() { openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 \
	-out "$1" 2>/dev/null; }

# ca NAME CN
ca() {
	key "$1.key"
	openssl req -x509 -new -key "$1.key" -out "$1.pem" -days 30 \
		-subj "/CN=$2" \
		-addext basicConstraints=critical,CA:TRUE \
		-addext keyUsage=critical,keyCertSign,cRLSign 2>/dev/null
	mkdir -p "$1.db"
	: >"$1.db/index.txt"
	echo 1000 >"$1.db/serial"
	cat >"$1.cnf" <<CNF
[ca]
default_ca = dflt
[dflt]
dir = $dir/$1.db
database = \$dir/index.txt
serial = \$dir/serial
new_certs_dir = \$dir
certificate = $dir/$1.pem
private_key = $dir/$1.key
default_md = sha256
policy = any
unique_subject = no
copy_extensions = none
[any]
commonName = supplied
[server]
basicConstraints = CA:FALSE
extendedKeyUsage = serverAuth
subjectAltName = DNS:dotsd.test,IP:127.0.0.1,IP:::1
[client]
basicConstraints = CA:FALSE
extendedKeyUsage = clientAuth
CNF
}

# leaf CA NAME CN EXT STARTDATE ENDDATE (YYYYMMDDHHMMSSZ)
leaf() {
	key "$2.key"
	openssl req -new -key "$2.key" -out "$2.csr" -subj "/CN=$3" 2>/dev/null
	openssl ca -batch -notext -config "$1.cnf" -extensions "$4" \
		-startdate "$5" -enddate "$6" -in "$2.csr" -out "$2.pem" \
		2>/dev/null
	rm -f "$2.csr"
	openssl x509 -in "$2.pem" -pubkey -noout |
		openssl pkey -pubin -outform der |
		openssl dgst -sha256 -r | cut -d' ' -f1 >"$2.spki"
}

d() { date -u -d "$1" +%Y%m%d%H%M%SZ; }

ca ca "dotsd signal test CA"
ca foreign-ca "some other CA"
leaf ca server dotsd.test server "$(d '-1 day')" "$(d '+30 days')"
leaf ca client1 client1 client "$(d '-1 day')" "$(d '+30 days')"
leaf ca client2 client2 client "$(d '-1 day')" "$(d '+30 days')"
leaf ca expired client1 client "$(d '-20 days')" "$(d '-1 day')"
leaf ca future client1 client "$(d '+10 days')" "$(d '+30 days')"
leaf foreign-ca foreign client1 client "$(d '-1 day')" "$(d '+30 days')"
echo "$dir"
