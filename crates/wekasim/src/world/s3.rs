//! The S3 cluster (`weka s3 cluster ...`).

use std::collections::BTreeSet;

use crate::error::WekaError;
use crate::ids::HostId;
use crate::world::cluster::Cluster;
use crate::world::local::ProcessRole;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct S3Cluster {
    pub default_fs: String,
    pub config_fs: String,
    pub port: u16,
    pub envoy_admin_port: u16,
    pub internal_port: u16,
    pub hosts: BTreeSet<HostId>,
    /// Options passed through from `spec.s3Config.clusterCreateArgs`.
    pub extra_args: Vec<String>,
}

/// `weka s3 cluster create <default-fs> <config-fs> ...`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct S3Create {
    pub default_fs: String,
    pub config_fs: String,
    pub port: u16,
    pub envoy_admin_port: u16,
    pub internal_port: u16,
    pub hosts: Vec<HostId>,
    pub extra_args: Vec<String>,
}

impl Cluster {
    pub fn create_s3(&mut self, request: S3Create) -> Result<(), WekaError> {
        if self.s3.is_some() {
            return Err(WekaError::S3Exists);
        }
        for fs in [&request.default_fs, &request.config_fs] {
            if self.fs.get(fs).is_none() {
                return Err(WekaError::FsNotFound(fs.clone()));
            }
        }
        for host in &request.hosts {
            self.check_s3_host(*host)?;
        }
        self.s3 = Some(S3Cluster {
            default_fs: request.default_fs,
            config_fs: request.config_fs,
            port: request.port,
            envoy_admin_port: request.envoy_admin_port,
            internal_port: request.internal_port,
            hosts: request.hosts.into_iter().collect(),
            extra_args: request.extra_args,
        });
        Ok(())
    }

    pub fn destroy_s3(&mut self) -> Result<(), WekaError> {
        self.s3.take().map(|_| ()).ok_or(WekaError::S3NotConfigured)
    }

    pub fn add_s3_host(&mut self, host: HostId) -> Result<(), WekaError> {
        if self.s3.is_none() {
            return Err(WekaError::S3NotConfigured);
        }
        self.check_s3_host(host)?;
        let s3 = self.s3.as_mut().ok_or(WekaError::S3NotConfigured)?;
        if !s3.hosts.insert(host) {
            return Err(WekaError::S3AlreadyMember(host));
        }
        Ok(())
    }

    pub fn remove_s3_host(&mut self, host: HostId) -> Result<(), WekaError> {
        if !self.containers.contains_key(&host) {
            return Err(WekaError::UnrecognizedHost(host));
        }
        let s3 = self.s3.as_mut().ok_or(WekaError::S3NotConfigured)?;
        if !s3.hosts.remove(&host) {
            return Err(WekaError::S3NotMember(host));
        }
        Ok(())
    }

    /// S3 runs on frontend processes.
    fn check_s3_host(&self, host: HostId) -> Result<(), WekaError> {
        match self.containers.get(&host) {
            Some(c) if c.has_role(ProcessRole::Frontend) => Ok(()),
            _ => Err(WekaError::UnrecognizedHost(host)),
        }
    }
}
