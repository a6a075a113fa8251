# Test adapter: answers identity.canonicalize with its input unchanged (right for lower-case user
# IDs), and crashes on the input "crash" (hex 6372617368).
read -r line
printf '%s\n' '{"id":0,"ok":{"adapter":"echo-crash","protocol":1,"capabilities":["identity.canonicalize","identity.client_hash","identity.server_hash","identity.contact_lookup","identity.verification_code"]}}'
while read -r line; do
    id=${line#*\"id\":}
    id=${id%%,*}
    input=${line#*\"input\":\"}
    input=${input%%\"*}
    if [ "$input" = 6372617368 ]; then
        echo "echo-crash: crashing on purpose" >&2
        exit 70
    fi
    echo "echo-crash: answering request $id" >&2
    printf '{"id":%s,"ok":{"canonical":"%s"}}\n' "$id" "$input"
done
