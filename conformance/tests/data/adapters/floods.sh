# Test adapter: a good hello, then a megabyte of stderr and a 100 MB stdout line, past the 64 MiB limit.
read -r line
printf '%s\n' '{"id":0,"ok":{"adapter":"floods","protocol":1,"capabilities":["identity.canonicalize","identity.client_hash","identity.server_hash","identity.contact_lookup","identity.verification_code"]}}'
read -r line
head -c 1000000 /dev/zero | tr '\0' e >&2
head -c 100000000 /dev/zero | tr '\0' x
echo
