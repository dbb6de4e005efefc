"""AWS partitions: which partition (aws, aws-cn, aws-us-gov, ...) a region belongs to.

Each ARN names its partition, and a principal of another partition can never be used in this
one. The table is the `regionRegex` of each partition in the AWS SDKs' endpoint data
(botocore/data/partitions.json; the same file ships in every AWS SDK).
"""

from collections.abc import Mapping

from components.common.patterns import Pattern

PARTITIONS: Mapping[str, Pattern] = {
    "aws": Pattern(r"(us|eu|ap|sa|ca|me|af|il|mx)-\w+-\d+"),
    "aws-cn": Pattern(r"cn-\w+-\d+"),
    "aws-us-gov": Pattern(r"us-gov-\w+-\d+"),
    "aws-iso": Pattern(r"us-iso-\w+-\d+"),
    "aws-iso-b": Pattern(r"us-isob-\w+-\d+"),
    "aws-iso-e": Pattern(r"eu-isoe-\w+-\d+"),
    "aws-iso-f": Pattern(r"us-isof-\w+-\d+"),
    "aws-eusc": Pattern(r"eusc-(de)-\w+-\d+"),
}
# Where the region is not known, sizes that depend on the partition assume the longest name.
LONGEST_PARTITION = max(PARTITIONS, key=len)


def partition_of(region: str) -> str | None:
    """The partition of `region`; None for a name no partition has."""
    return next((name for name, regions in PARTITIONS.items() if regions.matches(region)), None)
