"""Uploads a file with tuspy in 64 KiB chunks, stops past half way, resumes
from the upload URL with a new uploader (tuspy asks HEAD for the offset)
and finishes. Prints {"url", "abortedAt", "resumedFrom"} as JSON."""
import json
import sys

from tusclient import client

endpoint, path = sys.argv[1], sys.argv[2]
size = len(open(path, "rb").read())
chunk = 64 * 1024

tus = client.TusClient(endpoint)
first = tus.uploader(path, chunk_size=chunk, metadata={"filename": "payload.bin"})
while first.offset < size / 2:
    first.upload_chunk()
aborted_at = first.offset

resumed = tus.uploader(path, chunk_size=chunk, url=first.url)
resumed_from = resumed.offset  # fetched with HEAD when the uploader is made
resumed.upload()

print(json.dumps({"url": first.url, "abortedAt": aborted_at, "resumedFrom": resumed_from}))
