//! Running the emulator: shared state, the public [`Emulator`] handle, persistence of the
//! tenant to a file, and the simulation knobs (latency, faults, throttling, smart lockout).

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicI64, Ordering};
use std::time::Duration;

use axum::Router;
use http::{Method, StatusCode};
use parking_lot::{Mutex, RwLock, RwLockReadGuard, RwLockWriteGuard};
use rand::rngs::StdRng;
use rand::{RngExt, SeedableRng};

use crate::auth::Caller;
use crate::error::{Error, GraphError};
use crate::model::{ClientSecret, TenantState, Timestamp};
use crate::seed::{self, SeedConfig};
use crate::tenant::hash_password;
use crate::throttle::{Cost, Meter, ThrottleConfig};

/// State shared by every request.
#[derive(Debug)]
pub struct Shared {
    tenant: RwLock<TenantState>,
    simulation: Mutex<Simulation>,
    meter: Mutex<Meter>,
    clock_offset: AtomicI64,
    dirty: AtomicBool,
    base_url: RwLock<String>,
    /// HMAC key for the access tokens this emulator issues (never persisted).
    pub(crate) signing_key: Vec<u8>,
    persist_path: Option<PathBuf>,
}

/// Latency, faults, throttling and lockout policy: what `/_emulator/simulation` sets.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct SimulationConfig {
    /// Added to every Graph request.
    pub latency_ms: u64,
    /// Probability (0..1) that a Graph request fails with `error_status`.
    pub error_rate: f64,
    pub error_status: u16,
    /// Probability (0..1) of a synthetic 429 with `Retry-After: 1`, on top of real throttling.
    pub throttle_storm_rate: f64,
    pub throttle: ThrottleConfig,
    /// Smart lockout: failed attempts before lockout and the first lockout's length.
    pub lockout_threshold: u32,
    pub lockout_duration_seconds: i64,
    /// Seed of the fault generator, so fault sequences are reproducible.
    pub fault_seed: u64,
}

impl Default for SimulationConfig {
    fn default() -> SimulationConfig {
        SimulationConfig {
            latency_ms: 0,
            error_rate: 0.0,
            error_status: 503,
            throttle_storm_rate: 0.0,
            throttle: ThrottleConfig::default(),
            lockout_threshold: 10,
            lockout_duration_seconds: 60,
            fault_seed: 7,
        }
    }
}

#[derive(Debug)]
pub struct Simulation {
    pub config: SimulationConfig,
    rng: StdRng,
}

/// What the front door must do to one request before handling it.
#[derive(Debug, Default)]
pub(crate) struct Fault {
    pub latency: Option<Duration>,
    pub error: Option<GraphError>,
}

impl Simulation {
    pub(crate) fn new(config: SimulationConfig) -> Simulation {
        let rng = StdRng::seed_from_u64(config.fault_seed);
        Simulation { config, rng }
    }

    pub(crate) fn fault_for_request(&mut self) -> Fault {
        let mut fault = Fault::default();
        if self.config.latency_ms > 0 {
            fault.latency = Some(Duration::from_millis(self.config.latency_ms));
        }
        if self.config.error_rate > 0.0 && self.rng.random::<f64>() < self.config.error_rate {
            let status = StatusCode::from_u16(self.config.error_status)
                .unwrap_or(StatusCode::SERVICE_UNAVAILABLE);
            let code = match status.as_u16() {
                500 => "generalException",
                502 => "badGateway",
                504 => "gatewayTimeout",
                _ => "serviceNotAvailable",
            };
            fault.error = Some(GraphError::new(
                status,
                code,
                "The service is temporarily unavailable (injected by the emulator).",
            ));
        } else if self.config.throttle_storm_rate > 0.0
            && self.rng.random::<f64>() < self.config.throttle_storm_rate
        {
            fault.error = Some(throttled_error(
                1,
                "Application/ReadWrite",
                "ResourceUnitLimitExceeded",
            ));
        }
        fault
    }
}

/// Graph's 429 for the directory.
pub(crate) fn throttled_error(retry_after: u64, scope: &str, information: &str) -> GraphError {
    GraphError::new(
        StatusCode::TOO_MANY_REQUESTS,
        "TooManyRequests",
        "Too many requests. Please try again later.",
    )
    .with_header("Retry-After", retry_after.to_string())
    .with_header("x-ms-throttle-scope", scope)
    .with_header("x-ms-throttle-information", information)
}

impl Shared {
    /// A read guard on the tenant. Recursive: a handler holding one may take another (e.g.
    /// `collection::page` reading the skip-token salt) without deadlocking behind a waiting
    /// writer, as a plain parking_lot read would.
    pub(crate) fn tenant(&self) -> RwLockReadGuard<'_, TenantState> {
        self.tenant.read_recursive()
    }

    pub(crate) fn tenant_mut(&self) -> RwLockWriteGuard<'_, TenantState> {
        self.tenant.write()
    }

    pub(crate) fn simulation(&self) -> parking_lot::MutexGuard<'_, Simulation> {
        self.simulation.lock()
    }

    /// The emulator's clock.
    pub fn now(&self) -> Timestamp {
        crate::tenant::now_with_offset(self.clock_offset.load(Ordering::Relaxed))
    }

    pub(crate) fn advance_clock(&self, seconds: i64) {
        self.clock_offset.fetch_add(seconds, Ordering::Relaxed);
        self.mark_dirty();
    }

    /// Sets the clock's offset from the wall clock (an imported state brings its own).
    pub(crate) fn set_clock_offset(&self, seconds: i64) {
        self.clock_offset.store(seconds, Ordering::Relaxed);
        self.mark_dirty();
    }

    pub fn base_url(&self) -> String {
        self.base_url.read().clone()
    }

    pub(crate) fn mark_dirty(&self) {
        self.dirty.store(true, Ordering::Relaxed);
    }

    pub(crate) fn throttle_check(
        &self,
        caller: &Caller,
        segments: &[String],
        method: &Method,
        cost: Cost,
    ) -> Result<(), GraphError> {
        let config = self.simulation.lock().config.throttle.clone();
        if !config.enabled {
            return Ok(());
        }
        let tenant_users = self.tenant.read().users.len();
        self.meter.lock().charge(
            &config,
            caller,
            segments,
            method,
            cost,
            tenant_users,
            std::time::Instant::now(),
        )
    }

    fn snapshot(&self) -> TenantState {
        let mut state = self.tenant.read().clone();
        state.clock_offset_seconds = self.clock_offset.load(Ordering::Relaxed);
        state
    }

    fn save(&self) -> Result<(), Error> {
        let Some(path) = &self.persist_path else {
            return Ok(());
        };
        self.dirty.store(false, Ordering::Relaxed);
        write_state(path, &self.snapshot())
    }
}

/// Writes a tenant state atomically (temporary file, then rename).
pub fn write_state(path: &Path, state: &TenantState) -> Result<(), Error> {
    let write_error = |source| Error::WriteState {
        path: path.display().to_string(),
        source,
    };
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).map_err(write_error)?;
    }
    let temporary = path.with_extension("tmp");
    let bytes = serde_json::to_vec(state).map_err(|e| write_error(std::io::Error::other(e)))?;
    std::fs::write(&temporary, bytes).map_err(write_error)?;
    std::fs::rename(&temporary, path).map_err(write_error)
}

/// Reads a tenant state written by [`write_state`] or `/_emulator/state`.
pub fn read_state(path: &Path) -> Result<TenantState, Error> {
    let bytes = std::fs::read(path).map_err(|source| Error::ReadState {
        path: path.display().to_string(),
        source,
    })?;
    serde_json::from_slice(&bytes).map_err(|source| Error::ParseState {
        path: path.display().to_string(),
        source,
    })
}

/// The emulator: a tenant and the knobs of its simulation. Cheap to clone.
#[derive(Debug, Clone)]
pub struct Emulator {
    shared: Arc<Shared>,
}

/// A running emulator server.
#[derive(Debug)]
pub struct RunningEmulator {
    /// `http://127.0.0.1:PORT`: the authority host for tokens; Graph is under `/v1.0` and `/beta`.
    pub base_url: String,
    pub addr: SocketAddr,
    pub emulator: Emulator,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
    task: Option<tokio::task::JoinHandle<()>>,
}

impl Emulator {
    /// An emulator over the given tenant state.
    pub fn new(state: TenantState, simulation: SimulationConfig) -> Emulator {
        let mut key = vec![0u8; 32];
        rand::rng().fill(&mut key[..]);
        let offset = state.clock_offset_seconds;
        Emulator {
            shared: Arc::new(Shared {
                tenant: RwLock::new(state),
                simulation: Mutex::new(Simulation::new(simulation)),
                meter: Mutex::new(Meter::default()),
                clock_offset: AtomicI64::new(offset),
                dirty: AtomicBool::new(false),
                base_url: RwLock::new(String::new()),
                signing_key: key,
                persist_path: None,
            }),
        }
    }

    /// A fresh Contoso demo tenant, timestamps relative to now.
    pub fn demo(seed_config: &SeedConfig, simulation: SimulationConfig) -> Emulator {
        let state = seed::contoso(seed_config, time::OffsetDateTime::now_utc());
        Emulator::new(state, simulation)
    }

    /// The tenant persisted at `path`, or a fresh demo tenant saved there.
    pub fn persistent(
        path: &Path,
        seed_config: &SeedConfig,
        simulation: SimulationConfig,
    ) -> Result<Emulator, Error> {
        let state = if path.exists() {
            read_state(path)?
        } else {
            let state = seed::contoso(seed_config, time::OffsetDateTime::now_utc());
            write_state(path, &state)?;
            state
        };
        let mut emulator = Emulator::new(state, simulation);
        if let Some(shared) = Arc::get_mut(&mut emulator.shared) {
            shared.persist_path = Some(path.to_path_buf());
        }
        Ok(emulator)
    }

    /// The axum router serving Graph, the token endpoint and the control plane.
    pub fn router(&self) -> Router {
        Router::new()
            .fallback(crate::http::front_door)
            .layer(axum::extract::DefaultBodyLimit::disable())
            .with_state(self.shared.clone())
    }

    /// Serves on `addr` (use port 0 for an ephemeral port) until the handle is dropped or shut down.
    pub async fn serve(&self, addr: SocketAddr) -> Result<RunningEmulator, Error> {
        let listener = tokio::net::TcpListener::bind(addr)
            .await
            .map_err(|source| Error::Bind {
                addr: addr.to_string(),
                source,
            })?;
        let local = listener.local_addr().map_err(|source| Error::Bind {
            addr: addr.to_string(),
            source,
        })?;
        let base_url = format!("http://{local}");
        *self.shared.base_url.write() = base_url.clone();
        let (sender, receiver) = tokio::sync::oneshot::channel::<()>();
        let router = self.router();
        let saver = self.clone();
        let task = tokio::spawn(async move {
            let server = axum::serve(listener, router).with_graceful_shutdown(async move {
                let _ = receiver.await;
            });
            let autosave = async {
                loop {
                    tokio::time::sleep(Duration::from_millis(500)).await;
                    if saver.shared.dirty.load(Ordering::Relaxed)
                        && let Err(error) = saver.save()
                    {
                        tracing::warn!(%error, "could not save the emulated tenant");
                    }
                }
            };
            tokio::select! {
                result = server => {
                    if let Err(error) = result {
                        tracing::warn!(%error, "emulator server stopped");
                    }
                }
                () = autosave => {}
            }
        });
        Ok(RunningEmulator {
            base_url,
            addr: local,
            emulator: self.clone(),
            shutdown: Some(sender),
            task: Some(task),
        })
    }

    /// Mints a client secret for an app registration; the plain text is returned once and
    /// only its hash is kept.
    pub fn add_client_secret(
        &self,
        app_id: &str,
        lifetime: time::Duration,
    ) -> Result<String, Error> {
        let secret = crate::tenant::random_secret(40);
        let now = self.shared.now();
        let mut tenant = self.shared.tenant_mut();
        let salt = tenant.salt.clone();
        let app = tenant
            .apps
            .get_mut(app_id)
            .ok_or_else(|| Error::UnknownApp(app_id.to_string()))?;
        app.secrets.retain(|s| s.end_date_time > now);
        app.secrets.push(ClientSecret {
            key_id: uuid::Uuid::new_v4().to_string(),
            hint: secret.chars().take(3).collect(),
            secret_hash: hash_password(&salt, &secret),
            end_date_time: now + lifetime,
        });
        drop(tenant);
        self.shared.mark_dirty();
        Ok(secret)
    }

    pub fn tenant_id(&self) -> String {
        self.shared.tenant().tenant_id.clone()
    }

    pub fn domain(&self) -> String {
        self.shared.tenant().domain.clone()
    }

    /// A copy of the whole tenant state (what `/_emulator/state` exports).
    pub fn export(&self) -> TenantState {
        self.shared.snapshot()
    }

    /// Reads the tenant under the read lock (for tests and tools in this process).
    pub fn with_tenant<T>(&self, read: impl FnOnce(&TenantState) -> T) -> T {
        read(&self.shared.tenant())
    }

    pub fn set_simulation(&self, config: SimulationConfig) {
        *self.shared.simulation.lock() = Simulation::new(config);
    }

    pub fn simulation(&self) -> SimulationConfig {
        self.shared.simulation.lock().config.clone()
    }

    /// Writes the tenant to its file now (no-op for an emulator without one).
    pub fn save(&self) -> Result<(), Error> {
        self.shared.save()
    }

    pub fn now(&self) -> Timestamp {
        self.shared.now()
    }
}

impl RunningEmulator {
    /// Graph's v1.0 base URL on this emulator.
    pub fn graph_v1(&self) -> String {
        format!("{}/v1.0", self.base_url)
    }

    /// Stops serving and saves the tenant if it has a file.
    pub async fn shutdown(mut self) -> Result<(), Error> {
        if let Some(sender) = self.shutdown.take() {
            let _ = sender.send(());
        }
        if let Some(task) = self.task.take() {
            task.abort();
            let _ = task.await;
        }
        self.emulator.save()
    }
}

impl Drop for RunningEmulator {
    fn drop(&mut self) {
        if let Some(sender) = self.shutdown.take() {
            let _ = sender.send(());
        }
        if let Some(task) = self.task.take() {
            task.abort();
        }
    }
}
