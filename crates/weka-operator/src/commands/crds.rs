//! `weka-operator crds`: the CRDs generated from `weka-api`'s types.

use super::CommandError;
use crate::cli::CrdsArgs;

pub fn run(args: &CrdsArgs) -> Result<(), CommandError> {
    match &args.write {
        None => {
            print!("{}", weka_api::crds::to_yaml());
            Ok(())
        }
        Some(dir) => {
            let write_err = |path: &std::path::Path, source| CommandError::Write {
                path: path.display().to_string(),
                source,
            };
            std::fs::create_dir_all(dir).map_err(|e| write_err(dir, e))?;
            for (file, text) in weka_api::crds::files() {
                let path = dir.join(file);
                std::fs::write(&path, text).map_err(|e| write_err(&path, e))?;
            }
            Ok(())
        }
    }
}
