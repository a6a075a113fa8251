# Test adapter: answers unsupported to everything, and does not exit when its stdin ends.
read -r line
printf '%s\n' '{"id":0,"ok":{"adapter":"ignores-eof","protocol":1,"capabilities":["identity.canonicalize","identity.client_hash","identity.server_hash","identity.contact_lookup","identity.verification_code"]}}'
while read -r line; do
    id=${line#*\"id\":}
    id=${id%%,*}
    printf '{"id":%s,"unsupported":true}\n' "$id"
done
exec sleep 60
