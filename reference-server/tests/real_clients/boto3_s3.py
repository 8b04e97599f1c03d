"""boto3 against the reference server's S3 endpoint, signing on (SigV4).

Usage: boto3_s3.py ENDPOINT FILE. Keys come from AWS_ACCESS_KEY_ID and
AWS_SECRET_ACCESS_KEY. Runs an explicit multipart upload of 3 parts under a
key that every encoder treats differently, the managed transfer (4 parts),
the listings, a presigned GET, and prints a JSON report as its last line.
"""

import hashlib
import json
import sys
import urllib.request

import boto3
from boto3.s3.transfer import TransferConfig
from botocore.config import Config

MIB = 1024 * 1024
endpoint, path = sys.argv[1], sys.argv[2]
s3 = boto3.client(
    "s3",
    endpoint_url=endpoint,
    region_name="us-east-1",
    config=Config(signature_version="s3v4", s3={"addressing_style": "path"}),
)
data = open(path, "rb").read()
bucket, key = "boto3-bucket", "dir/a b+c%~=&.txt"
s3.create_bucket(Bucket=bucket)

upload = s3.create_multipart_upload(Bucket=bucket, Key=key, ContentType="text/bla", Metadata={"foo": "bar"})
upload_id = upload["UploadId"]
chunks = [data[: 5 * MIB], data[5 * MIB : 10 * MIB], data[10 * MIB :]]
parts = []
for number, chunk in enumerate(chunks, 1):
    answer = s3.upload_part(Bucket=bucket, Key=key, UploadId=upload_id, PartNumber=number, Body=chunk)
    assert answer["ETag"] == '"%s"' % hashlib.md5(chunk).hexdigest(), answer
    parts.append({"PartNumber": number, "ETag": answer["ETag"]})
listed = s3.list_parts(Bucket=bucket, Key=key, UploadId=upload_id, MaxParts=2)
assert [p["PartNumber"] for p in listed["Parts"]] == [1, 2] and listed["IsTruncated"], listed
rest = s3.list_parts(Bucket=bucket, Key=key, UploadId=upload_id, PartNumberMarker=listed["NextPartNumberMarker"])
assert [p["PartNumber"] for p in rest["Parts"]] == [3], rest
uploads = s3.list_multipart_uploads(Bucket=bucket, Prefix="dir/")
assert [u["UploadId"] for u in uploads["Uploads"]] == [upload_id], uploads
done = s3.complete_multipart_upload(Bucket=bucket, Key=key, UploadId=upload_id, MultipartUpload={"Parts": parts})
expected = hashlib.md5(b"".join(hashlib.md5(c).digest() for c in chunks)).hexdigest() + "-3"
assert done["ETag"] == '"%s"' % expected, done
got = s3.get_object(Bucket=bucket, Key=key)
body = got["Body"].read()
assert body == data, "downloaded object differs"
assert got["ContentType"] == "text/bla" and got["Metadata"] == {"foo": "bar"}, got
part2 = s3.get_object(Bucket=bucket, Key=key, PartNumber=2)
assert part2["Body"].read() == chunks[1] and part2["PartsCount"] == 3, part2

# The managed transfer: threads, default checksums, ranged downloads.
config = TransferConfig(multipart_threshold=5 * MIB, multipart_chunksize=5 * MIB)
s3.upload_file(path, bucket, "managed.bin", Config=config)
s3.download_file(bucket, "managed.bin", path + ".down", Config=config)
assert open(path + ".down", "rb").read() == data, "managed download differs"
head = s3.head_object(Bucket=bucket, Key="managed.bin")

listing = s3.list_objects_v2(Bucket=bucket, Prefix="dir/", Delimiter="/")
keys = [o["Key"] for o in listing.get("Contents", [])]
assert keys == [key], listing
url = s3.generate_presigned_url("get_object", Params={"Bucket": bucket, "Key": key}, ExpiresIn=60)
assert urllib.request.urlopen(url).read() == data, "presigned GET differs"

print(json.dumps({"etag": done["ETag"], "managed_etag": head["ETag"], "size": len(body), "key": key}))
