#!/bin/sh
# Generates throw-away test credentials into DIR (default: a new temp dir,
# whose name is printed): a CA, a server certificate signed by it, and two
# client certificates. Nothing here is committed: tests run this at start.
#
#   ca.pem ca.key          CA (CN "dotsd test CA")
#   server.pem server.key  CN "dotsd.test", SAN DNS:dotsd.test, IP:127.0.0.1
#   client1.pem/.key/.der  CN "client one", SAN DNS:c1.example, DNS:alt.example
#   client2.pem/.key/.der  CN "client two", no SAN
#   client1.spki           hex SHA-256 of client1's DER SubjectPublicKeyInfo
#                          (the value for "identity spki-sha256")
set -eu
dir=${1:-$(mktemp -d /tmp/dotsd-certs.XXXXXX)}
mkdir -p "$dir"
cd "$dir"
days=2

key() { openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 \
	-out "$1" 2>/dev/null; }

key ca.key
openssl req -x509 -new -key ca.key -out ca.pem -days $days \
	-subj "/CN=dotsd test CA" \
	-addext basicConstraints=critical,CA:TRUE \
	-addext keyUsage=critical,keyCertSign,cRLSign 2>/dev/null

# leaf NAME CN SAN(or "") [serverAuth|clientAuth]
leaf() {
	key "$1.key"
	openssl req -new -key "$1.key" -out "$1.csr" -subj "/CN=$2" 2>/dev/null
	{
		echo "basicConstraints=CA:FALSE"
		echo "extendedKeyUsage=$4"
		[ -n "$3" ] && echo "subjectAltName=$3"
	} >"$1.ext"
	openssl x509 -req -in "$1.csr" -CA ca.pem -CAkey ca.key \
		-CAcreateserial -out "$1.pem" -days $days \
		-extfile "$1.ext" 2>/dev/null
	openssl x509 -in "$1.pem" -outform der -out "$1.der"
	rm -f "$1.csr" "$1.ext"
}

leaf server "dotsd.test" "DNS:dotsd.test,IP:127.0.0.1" serverAuth
leaf client1 "client one" "DNS:c1.example,DNS:alt.example" clientAuth
leaf client2 "client two" "" clientAuth

# The pin as an operator would compute it (doc/dotsd.conf.5).
openssl x509 -in client1.pem -pubkey -noout |
	openssl pkey -pubin -outform der |
	openssl dgst -sha256 -r | cut -d' ' -f1 >client1.spki
echo "$dir"
