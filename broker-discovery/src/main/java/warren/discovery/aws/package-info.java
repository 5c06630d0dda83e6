/**
 * The {@code aws} backend: peers are the running EC2 instances with the configured
 * {@code cluster_formation.aws.instance_tags.*}, or the members of this instance's Auto Scaling
 * group, as in RabbitMQ's {@code rabbit_peer_discovery_aws}. Built on the AWS SDK for Java v2
 * (EC2, Auto Scaling, IMDSv2 clients over {@code HttpURLConnection}): the SDK signs requests and
 * resolves credentials, regions and endpoint overrides. No registry, no lock; formation safety comes
 * from {@link warren.discovery.FormationOrder}.
 */
package warren.discovery.aws;
