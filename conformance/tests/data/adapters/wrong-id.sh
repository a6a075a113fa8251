# Test adapter: a good hello, then answers every request with the wrong id.
read -r line
printf '%s\n' '{"id":0,"ok":{"adapter":"wrong-id","protocol":1,"capabilities":["identity.canonicalize","identity.client_hash","identity.server_hash","identity.contact_lookup","identity.verification_code"]}}'
while read -r line; do
    printf '%s\n' '{"id":12345,"ok":{}}'
done
